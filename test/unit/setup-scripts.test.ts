/** scripts/: notebook selection, failure report, kernel spec / Jupyter env, and the strip tool. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
type Runner = typeof import('../../scripts/run-notebooks.mjs');
type Setup = typeof import('../../scripts/ensure-setup.mjs');
const runner = () => import('../../scripts/run-notebooks.mjs') as Promise<Runner>;
const setup = () => import('../../scripts/ensure-setup.mjs') as Promise<Setup>;

test('selectNotebooks: by number or name prefix, --from, and unknown names are errors', async () => {
  const { selectNotebooks, NOTEBOOK_NAME } = await runner();
  const all = ['00-setup-check.ipynb', '01-decode-data.ipynb', '03-encode-features.ipynb', '06-analyze-errors.ipynb'].map((f) => `/x/notebooks/${f}`);
  const names = (l: string[]) => l.map((f) => path.basename(f));
  assert.deepEqual(names(selectNotebooks(all, ['03'])), ['03-encode-features.ipynb']);
  assert.deepEqual(names(selectNotebooks(all, ['00', '06-analyze-errors.ipynb'])), ['00-setup-check.ipynb', '06-analyze-errors.ipynb']);
  assert.deepEqual(names(selectNotebooks(all, [], '03')), ['03-encode-features.ipynb', '06-analyze-errors.ipynb']);
  assert.throws(() => selectNotebooks(all, ['04']), /no notebook matches 04 \(have: 00-setup-check.ipynb/);
  assert.throws(() => selectNotebooks(all, [], '09'), /--from 09/);
  assert.ok(NOTEBOOK_NAME.test('04-train-drin.ipynb'));
  assert.ok(!NOTEBOOK_NAME.test('_dbg.ipynb') && !NOTEBOOK_NAME.test('.04-x.ipynb') && !NOTEBOOK_NAME.test('04-x.ipynb.bak'));
});

test('formatFailure names the notebook, the cell, its numbered source and the error', async () => {
  const { formatFailure } = await runner();
  const text = formatFailure(path.join(ROOT, 'notebooks', '04-train-drin.ipynb'), {
    output: path.join(ROOT, 'results', 'notebooks', '04-train-drin.ipynb'),
    error: { cell: 7, codeCell: 3, source: 'const a = 1;\nthrow new Error("x")', ename: 'Error', evalue: 'x', traceback: [], outputs: 'Error: x\n    at ...' },
  });
  assert.match(text, /NOTEBOOK FAILED: notebooks\/04-train-drin.ipynb, cell 7 \(code cell 3\)/);
  assert.match(text, /\s+2 \| throw new Error\("x"\)/);
  assert.match(text, /--- error ---\nError: x/);
  assert.match(text, /partial executed copy: results\/notebooks\/04-train-drin.ipynb/);
});

test('the kernel spec runs this checkout\'s tslab, and the runner\'s Jupyter env finds it first', async () => {
  const { kernelSpec, jupyterEnv, LOCAL_JUPYTER } = await setup();
  const spec = kernelSpec();
  assert.equal(spec.argv[0], path.join(ROOT, 'node_modules', '.bin', 'tslab'));
  assert.deepEqual(spec.argv.slice(1), ['kernel', '--config-path', '{connection_file}']);
  assert.equal(spec.display_name, 'TypeScript (drin)');
  const env = jupyterEnv({ JUPYTER_PATH: '/elsewhere', DRIN_BACKEND: 'cpu' });
  assert.equal(env.JUPYTER_PATH, `${LOCAL_JUPYTER}${path.delimiter}/elsewhere`);
  assert.equal(env.DRIN_BACKEND, 'cpu', 'DRIN_* variables pass through to the kernel');
  assert.equal(jupyterEnv({}).JUPYTER_PATH, LOCAL_JUPYTER);
});

test('npm run strip removes outputs and execution counts; --check reports dirty notebooks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-strip-'));
  const file = path.join(dir, '09-x.ipynb');
  const nb = {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: ['# t'] },
      { cell_type: 'code', execution_count: 3, metadata: { tags: ['keep'] }, outputs: [{ output_type: 'stream', name: 'stdout', text: ['hi\n'] }], source: ['1'] },
    ],
    metadata: { kernelspec: { name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  const script = path.join(ROOT, 'scripts', 'strip-notebooks.mjs');
  const check = spawnSync(process.execPath, [script, '--check', file], { encoding: 'utf8' });
  assert.equal(check.status, 1);
  assert.match(check.stdout, /dirty: .*09-x.ipynb \(1 cells\)/);
  const strip = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
  assert.equal(strip.status, 0, strip.stderr);
  const after = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(after.cells[1].outputs, []);
  assert.equal(after.cells[1].execution_count, null);
  assert.deepEqual(after.cells[1].metadata, { tags: ['keep'] });
  assert.deepEqual(after.cells[1].source, ['1']);
  assert.equal(spawnSync(process.execPath, [script, '--check', file]).status, 0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('Chromium: ensure-setup and src/viz/browser.ts search the same places; install commands per package manager', async () => {
  const { CHROMIUM_PATHS: fromSetup, chromiumInstallCommands } = await setup();
  const { CHROMIUM_PATHS: fromViz } = await import('../../src/viz/browser');
  assert.deepEqual(fromSetup, fromViz);
  const only = (...have: string[]) => (cmd: string) => (have.includes(cmd) ? `/usr/bin/${cmd}` : undefined);
  assert.deepEqual(chromiumInstallCommands(only('apt-get'), true), [
    {
      install: ['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'chromium'],
      update: ['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'update'],
    },
  ]);
  assert.deepEqual(chromiumInstallCommands(only('apt-get', 'sudo'), false)[0].install.slice(0, 3), ['sudo', '-n', 'apt-get']);
  assert.deepEqual(chromiumInstallCommands(only('dnf'), true), [{ install: ['dnf', 'install', '-y', 'chromium'] }]);
  assert.deepEqual(chromiumInstallCommands(only('brew'), false), [{ install: ['brew', 'install', '--cask', 'chromium'] }]);
  assert.deepEqual(chromiumInstallCommands(only('apt-get'), false), [], 'not root, no sudo: nothing can install it');
});

test('no npm warning on `npx drin --help` (no unknown keys in .npmrc)', () => {
  const r = spawnSync('npx', ['drin', '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr + r.stdout, /npm warn/i);
  assert.match(r.stdout, /Usage: drin/);
});

test('CUDA: setup-gpu and src/device.ts look for the same files, listed once in src/cuda-libraries.json', async () => {
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'src', 'cuda-libraries.json'), 'utf8'));
  const { CUDA_FILES } = (await import('../../scripts/setup-gpu.mjs')) as { CUDA_FILES: typeof json };
  const device = await import('../../src/device');
  assert.deepEqual(CUDA_FILES, json);
  assert.deepEqual(device.ORT_CUDA12_LIBS, json.ortCuda12Libs);
  assert.deepEqual(device.TFJS_CUDA11_LIBS, json.tfjsCuda11Libs);
  assert.deepEqual(device.ORT_CUDA_PROVIDER_FILES, json.ortCudaProviderFiles);
  assert.ok(json.ortCuda12Libs.includes('libcudnn.so.9') && json.tfjsCuda11Libs.includes('libcublas.so.11'));
  // No second list: neither file spells a shared-library name or an ldconfig path as a string of its own.
  for (const f of ['scripts/setup-gpu.mjs', 'src/device.ts']) {
    const code = fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');
    assert.deepEqual(code.match(/['"](lib[\w.+-]+\.so[\d.]*|\/s?bin\/ldconfig|ldconfig)['"]/g) ?? [], [], f);
  }
});

test('CUDA: setup-gpu (which cannot import src/device.ts) finds libraries and the provider folder as device.ts does', async () => {
  const script = (await import('../../scripts/setup-gpu.mjs')) as { findLib(n: string): string | undefined; ortBinDir(): string };
  const device = await import('../../src/device');
  assert.equal(script.ortBinDir(), device.ortBinDir());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-ld-'));
  fs.writeFileSync(path.join(dir, 'libdrinfake.so.7'), '');
  const saved = process.env.LD_LIBRARY_PATH;
  process.env.LD_LIBRARY_PATH = `/nonexistent-drin:${dir}`;
  try {
    for (const name of ['libdrinfake.so.7', 'libc.so.6', 'libdrin-absent.so.1', ...device.ORT_CUDA12_LIBS]) {
      assert.equal(script.findLib(name), device.findLib(name).path, name);
    }
    assert.equal(script.findLib('libdrinfake.so.7'), path.join(dir, 'libdrinfake.so.7'));
    assert.equal(script.findLib('libdrin-absent.so.1'), undefined);
  } finally {
    if (saved === undefined) delete process.env.LD_LIBRARY_PATH;
    else process.env.LD_LIBRARY_PATH = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
