/**
 * `npx drin parity DIR [DIR...]`: check models against reference PyTorch fixtures
 * (scores, loss, gradients, one Adam step, metrics). A DIR without manifest.json is searched for
 * fixture subdirectories. Exits non-zero on any FAIL.
 */
import { Command } from 'commander';
import { initBackend } from '../backend';
import { parseDeviceRequest, resolveOrtDevice } from '../device';
import { readDrinEnv } from './env';

export function register(program: Command): void {
  program
    .command('parity')
    .description('compare models with reference PyTorch fixtures: scores, loss, grads, params after one Adam step, metrics')
    .argument('<dirs...>', 'fixture directories (or folders holding them), e.g. ../shared/fixtures/drin')
    .option('--device <d>', "DRIN's and GHMFC's ort engines: auto | cpu | cuda (the onnxruntime CUDA provider; an error when it does not work); default DRIN_DEVICE, else auto")
    .action(async (dirs: string[], o: { device?: string }) => {
      const env = readDrinEnv();
      const device = o.device === undefined ? env.device : parseDeviceRequest(o.device, '--device');
      const b = await initBackend(env.backend);
      if (device !== 'cpu') console.log(`DRIN ort engine device: ${resolveOrtDevice(device).note}`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library loads after the backend is chosen, so commands start fast
      const lib = require('../index') as typeof import('../index');
      console.log(`tfjs backend: ${b.name}; models: ${lib.parityModelNames().join(', ')}`);
      let failed = 0;
      let checked = 0;
      for (const root of dirs) {
        let found: string[];
        try {
          found = lib.findFixtureDirs(root);
        } catch (e) {
          console.log(`${root}\n  FAIL: ${(e as Error).message}`);
          failed++;
          continue;
        }
        for (const dir of found) {
          checked++;
          try {
            const r = lib.runParity(dir, lib.PARITY_TOLERANCES, { ...env.drin, device, debug: env.parityDebug });
            console.log(lib.formatParityReport(r));
            if (!r.pass) failed++;
          } catch (e) {
            console.log(`${dir}\n  FAIL: ${(e as Error).message}`);
            failed++;
          }
        }
      }
      console.log(`${checked - failed}/${checked} fixture directories PASS`);
      if (failed || !checked) process.exitCode = 1;
    });
}
