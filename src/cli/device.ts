/**
 * `npx drin device [--json]`: the GPUs this machine has (nvidia-smi), the driver and CUDA versions,
 * whether onnxruntime's CUDA provider works (a one-op session created and run on 'cuda'), whether
 * tfjs-node-gpu loads, and which device DRIN's engines, the encoders and the baselines use and why.
 * The checks live in src/device.ts; this file only prints.
 */
import { Command } from 'commander';
import { deviceReport, formatDeviceReport } from '../device';

export function register(program: Command): void {
  program
    .command('device')
    .description('GPUs, driver / CUDA versions, the onnxruntime CUDA provider (one-op check), tfjs-node-gpu, and the device each part uses and why')
    .option('--json', 'print the report as JSON (what scripts/gpu-check.sh reads)')
    .action(async (o: { json?: boolean }) => {
      const r = await deviceReport();
      console.log(o.json ? JSON.stringify(r, null, 1) : formatDeviceReport(r));
    });
}
