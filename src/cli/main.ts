/**
 * `npx drin <command>`: one entry point for every step the notebooks also run.
 * Each command lives in its own file under src/cli/ and exports `register(program)`.
 */
import { Command } from 'commander';
import { initBackend, describeBackend } from '../backend';
import { readDrinEnv } from './env';
import * as decode from './decode';
import * as encode from './encode';
import * as parity from './parity';
import * as prepare from './prepare';
import * as train from './train';
import * as validate from './validate';
import * as device from './device';
import * as image from './image';
import * as candidates from './candidates';
import * as baseline from './baseline';

/** Add each command module here (one line each). */
const commands: Array<{ register(program: Command): void }> = [parity, train, baseline, prepare, decode, validate, encode, device, image, candidates];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('drin')
    .description('DRIN multimodal entity linking in TypeScript: data, encoders, training, parity, analysis.')
    .showHelpAfterError();
  program
    .command('backend')
    .description('print the tfjs backend this machine picks (DRIN_BACKEND overrides) and why (`drin device`: GPUs, CUDA, every engine)')
    .action(async () => console.log(describeBackend(await initBackend(readDrinEnv().backend))));
  for (const c of commands) c.register(program);
  await program.parseAsync(argv);
}
