/**
 * `npx drin <command>`: one entry point for every step the notebooks also run.
 * Each command lives in its own file under src/cli/ and exports `register(program)`.
 */
import { Command } from 'commander';
import { initBackend, describeBackend } from '../backend';

/** Add each command module here (one line each). */
const commands: Array<{ register(program: Command): void }> = [
  // e.g. require('./decode'),
  require('./parity'),
  require('./train'),
  require('./prepare'),
  require('./decode'),
  require('./validate'),
  require('./encode'),
  require('./candidates'),
];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('drin')
    .description('DRIN multimodal entity linking in TypeScript: data, encoders, training, parity, analysis.')
    .showHelpAfterError();
  program
    .command('backend')
    .description('print the tfjs backend this machine picks (DRIN_BACKEND overrides) and why')
    .action(async () => console.log(describeBackend(await initBackend())));
  for (const c of commands) c.register(program);
  await program.parseAsync(argv);
}
