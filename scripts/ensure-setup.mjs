#!/usr/bin/env node
// Everything `npm test` / `npm run pipeline` need before they run, done only when missing or stale:
//   1. node_modules: `npm ci` when absent or older than package-lock.json (offline-safe: .npmrc skips
//      the onnxruntime download; the optional tfjs-node-gpu may fail its download and is dropped);
//   2. Jupyter (nbconvert + nbclient): used if present, else installed (apt-get on Debian/Ubuntu, pip elsewhere);
//   3. the tslab kernel: a project-local spec under .cache/jupyter (what the notebook runner uses, always
//      this checkout's node_modules/.bin/tslab) and the user's spec for JupyterLab (written when missing/stale);
//   4. dist/: `npm run build` (tsc) when a file under src/ is newer than the last build;
//   5. Chromium, only for `npm test` (the browser checks; the notebooks and the pipeline need none):
//      used if present ($CHROMIUM_PATH or the usual paths), else installed with the system's package
//      manager (apt-get chromium, dnf/pacman/apk chromium, brew --cask chromium); when nothing can
//      install it, setup fails naming the package.
// Flags: --no-jupyter (skip 2 and 3), --chromium (do 5), --register-kernel (point the user's kernel
// spec here even if it names another checkout), --quiet, --gpu (then scripts/setup-gpu.mjs: the CUDA
// provider, tfjs-node-gpu).
// Uses only Node built-ins: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Project-local Jupyter data dir holding kernels/tslab/kernel.json; prepended to JUPYTER_PATH by the runner. */
export const LOCAL_JUPYTER = path.join(ROOT, '.cache', 'jupyter');
export const KERNEL_NAME = 'tslab';

let quiet = false;
const log = (...a) => {
  if (!quiet) console.log('[setup]', ...a);
};

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, env: process.env, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

const mtime = (p) => {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
};

/** Newest mtime of the files under dir matching `re` (0 when none). */
function newestUnder(dir, re) {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestUnder(p, re));
    else if (re.test(e.name)) newest = Math.max(newest, mtime(p));
  }
  return newest;
}

// ---------------------------------------------------------------- 1. node_modules

/** Why node_modules needs `npm ci`, or undefined when it is current. */
export function nodeModulesStale() {
  const hidden = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(path.join(ROOT, 'node_modules'))) return 'node_modules is missing';
  if (!fs.existsSync(hidden)) return 'node_modules has no .package-lock.json (not installed by npm ci/install)';
  if (mtime(path.join(ROOT, 'package-lock.json')) > mtime(hidden) + 1000) return 'package-lock.json is newer than node_modules';
  for (const bin of ['tsx', 'tsc', 'tslab']) {
    if (!fs.existsSync(path.join(ROOT, 'node_modules', '.bin', bin))) return `node_modules/.bin/${bin} is missing`;
  }
  return undefined;
}

function ensureNodeModules() {
  const why = nodeModulesStale();
  if (!why) return 'node_modules current';
  log(`${why}: running npm ci`);
  const t0 = Date.now();
  const status = run('npm', ['ci', '--no-audit', '--no-fund']);
  if (status !== 0) throw new Error(`npm ci failed (exit ${status}); see the npm output above`);
  return `npm ci done in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
}

// ---------------------------------------------------------------- 2. Jupyter

/** apt-get waits up to 10 min for a dpkg lock held by another install instead of failing at once. */
export const APT_WAIT = ['-o', 'DPkg::Lock::Timeout=600'];

/** The Python interpreter that runs `jupyter` (read from its shebang), or undefined. */
export function jupyterPython() {
  const jup = which('jupyter');
  const candidates = [];
  if (jup) {
    const first = fs.readFileSync(jup, 'utf8').split('\n', 1)[0];
    const m = first.match(/^#!\s*(\S+)(?:\s+(\S+))?/);
    if (m) candidates.push(m[1].endsWith('/env') && m[2] ? m[2] : m[1]);
  }
  candidates.push('/usr/bin/python3', 'python3');
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import nbclient, nbformat, jupyter_client; print(nbclient.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

function jupyterOk() {
  if (!which('jupyter')) return false;
  const r = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' });
  return r.status === 0 && jupyterPython() !== undefined;
}

function ensureJupyter() {
  if (jupyterOk()) return `jupyter present (nbconvert ${spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' }).stdout.trim()})`;
  const isRoot = process.getuid?.() === 0;
  const apt = which('apt-get');
  const sudo = !isRoot && which('sudo') ? ['sudo', '-n'] : [];
  if (apt && (isRoot || sudo.length)) {
    log('jupyter missing: installing the Debian/Ubuntu packages');
    const pkgs = ['jupyter-notebook', 'python3-nbclient', 'jupyter-nbconvert', 'jupyter-client'];
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const cmd = (args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), ...args], { env }) : run(args[0], args.slice(1), { env }));
    if (cmd(['apt-get', ...APT_WAIT, 'install', '-y', '--no-install-recommends', ...pkgs]) !== 0) {
      cmd(['apt-get', ...APT_WAIT, 'update']);
      if (cmd(['apt-get', ...APT_WAIT, 'install', '-y', '--no-install-recommends', ...pkgs]) !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed`);
    }
  } else {
    const py = which('python3') ?? which('python');
    if (!py) throw new Error('jupyter is missing and neither apt-get (as root/sudo) nor python3 is available: install Jupyter (notebook, nbconvert, nbclient) and re-run');
    log('jupyter missing: installing with pip (user site)');
    if (run(py, ['-m', 'pip', 'install', '--user', 'notebook', 'nbconvert', 'nbclient', 'jupyter_client']) !== 0) {
      throw new Error('pip install notebook nbconvert nbclient jupyter_client failed');
    }
    const userBin = path.join(os.homedir(), '.local', 'bin');
    if (!process.env.PATH?.split(path.delimiter).includes(userBin)) process.env.PATH = `${userBin}${path.delimiter}${process.env.PATH}`;
  }
  if (!jupyterOk()) throw new Error('jupyter was installed but `jupyter nbconvert --version` or `import nbclient` still fails');
  return 'jupyter installed';
}

// ---------------------------------------------------------------- 5. Chromium (tests only)

/** Where src/viz/browser.ts looks for Chromium after $CHROMIUM_PATH (keep the two lists equal; a test checks). */
export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/snap/bin/chromium', '/opt/homebrew/bin/chromium', '/usr/local/bin/chromium', '/Applications/Chromium.app/Contents/MacOS/Chromium'];

/** Path of a usable Chromium ($CHROMIUM_PATH first), or undefined. */
export function findChromium() {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) return fs.existsSync(chosen) ? chosen : undefined;
  return CHROMIUM_PATHS.find((c) => fs.existsSync(c));
}

/**
 * Install commands to try, in order, for the system's package managers (as root, with passwordless
 * sudo, or Homebrew): `{ install, update? }`, where `update` refreshes the package lists before a retry.
 */
export function chromiumInstallCommands(whichFn = which, isRoot = process.getuid?.() === 0) {
  const sudo = isRoot ? [] : whichFn('sudo') ? ['sudo', '-n'] : undefined;
  const cmds = [];
  if (sudo) {
    if (whichFn('apt-get')) {
      cmds.push({ install: [...sudo, 'apt-get', ...APT_WAIT, 'install', '-y', '--no-install-recommends', 'chromium'], update: [...sudo, 'apt-get', ...APT_WAIT, 'update'] });
    }
    if (whichFn('dnf')) cmds.push({ install: [...sudo, 'dnf', 'install', '-y', 'chromium'] });
    if (whichFn('pacman')) cmds.push({ install: [...sudo, 'pacman', '-S', '--noconfirm', 'chromium'] });
    if (whichFn('apk')) cmds.push({ install: [...sudo, 'apk', 'add', 'chromium'] });
  }
  if (whichFn('brew')) cmds.push({ install: ['brew', 'install', '--cask', 'chromium'] });
  return cmds;
}

function ensureChromium() {
  const found = findChromium();
  if (found) return `chromium present (${found})`;
  log('chromium missing (npm test opens the exported notebooks and figures in headless Chromium): installing');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const { install, update } of chromiumInstallCommands()) {
    let status = run(install[0], install.slice(1), { env });
    if (status !== 0 && update) {
      run(update[0], update.slice(1), { env }); // a fresh Debian/Ubuntu image often has no package lists yet
      status = run(install[0], install.slice(1), { env });
    }
    const now = findChromium();
    if (status === 0 && now) return `chromium installed (${now})`;
  }
  throw new Error(
    'Chromium is required by `npm test` (headless checks of the notebooks and figures) and could not be installed: ' +
      'install the package `chromium` (Debian/Ubuntu: apt-get install chromium; Fedora: dnf install chromium; ' +
      'macOS: brew install --cask chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary',
  );
}

// ---------------------------------------------------------------- 3. kernel

/** The tslab kernel spec for this checkout. */
export function kernelSpec() {
  return {
    argv: [path.join(ROOT, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (drin)',
    language: 'typescript',
  };
}

/** Environment for running Jupyter so that kernel `tslab` resolves to this checkout's spec first. */
export function jupyterEnv(base = process.env) {
  const jp = base.JUPYTER_PATH ? `${LOCAL_JUPYTER}${path.delimiter}${base.JUPYTER_PATH}` : LOCAL_JUPYTER;
  return { ...base, JUPYTER_PATH: jp, ONNXRUNTIME_NODE_INSTALL: 'skip', PYDEVD_DISABLE_FILE_VALIDATION: '1' };
}

function writeSpec(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(kernelSpec(), null, 1) + '\n');
}

function ensureKernel(force) {
  writeSpec(path.join(LOCAL_JUPYTER, 'kernels', KERNEL_NAME));
  const r = spawnSync('jupyter', ['--data-dir'], { encoding: 'utf8', env: jupyterEnv() });
  if (r.status !== 0) return 'project kernel spec written (jupyter --data-dir failed, user spec not touched)';
  const userDir = path.join(r.stdout.trim(), 'kernels', KERNEL_NAME);
  const userFile = path.join(userDir, 'kernel.json');
  const want = kernelSpec();
  let current;
  try {
    current = JSON.parse(fs.readFileSync(userFile, 'utf8'));
  } catch {
    current = undefined;
  }
  const target = current?.argv?.[0];
  if (target === want.argv[0]) return `kernel '${KERNEL_NAME}' → ${target}`;
  if (!current || force || !target || !fs.existsSync(target)) {
    writeSpec(userDir);
    return `kernel '${KERNEL_NAME}' registered at ${userFile} → ${want.argv[0]}`;
  }
  return (
    `kernel '${KERNEL_NAME}': the runner uses this checkout's spec (${LOCAL_JUPYTER}); your JupyterLab spec ` +
    `${userFile} points at another checkout (${target}); \`node scripts/ensure-setup.mjs --register-kernel\` repoints it`
  );
}

// ---------------------------------------------------------------- 4. dist

const STAMP = path.join(ROOT, 'dist', '.build-stamp');

/** Why dist/ must be rebuilt, or undefined. */
export function distStale() {
  if (!fs.existsSync(STAMP)) return 'dist/ has not been built';
  const built = mtime(STAMP);
  const src = Math.max(newestUnder(path.join(ROOT, 'src'), /\.(ts|json)$/), mtime(path.join(ROOT, 'tsconfig.json')), mtime(path.join(ROOT, 'tsconfig.build.json')));
  return src > built ? 'src/ changed since the last build' : undefined;
}

export function ensureBuild() {
  const why = distStale();
  if (!why) return 'dist/ current';
  log(`${why}: npm run build`);
  const started = Date.now();
  const status = run('npm', ['run', '--silent', 'build']);
  if (status !== 0) {
    // tsc still emits JavaScript on type errors; the notebooks can run, the typecheck test will fail.
    if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('npm run build failed and produced no dist/index.js');
    console.warn('[setup] WARNING: tsc reported type errors (above); dist/ was emitted anyway. `npm run typecheck` to see them.');
    return 'dist/ built WITH TYPE ERRORS';
  }
  fs.writeFileSync(STAMP, new Date(started).toISOString() + '\n');
  fs.utimesSync(STAMP, new Date(started), new Date(started));
  return 'dist/ rebuilt';
}

// ---------------------------------------------------------------- main

export function ensureSetup({ jupyter = true, build = true, chromium = false, registerKernel = false, beQuiet = false } = {}) {
  quiet = beQuiet;
  process.env.ONNXRUNTIME_NODE_INSTALL ??= 'skip';
  const done = [ensureNodeModules()];
  if (jupyter) done.push(ensureJupyter(), ensureKernel(registerKernel));
  if (build) done.push(ensureBuild());
  if (chromium) done.push(ensureChromium());
  log(done.join('; '));
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  const args = new Set(process.argv.slice(2));
  try {
    ensureSetup({ jupyter: !args.has('--no-jupyter'), chromium: args.has('--chromium'), registerKernel: args.has('--register-kernel'), beQuiet: args.has('--quiet') });
  } catch (e) {
    console.error(`[setup] FAILED: ${e.message}`);
    process.exit(1);
  }
  // --gpu: the CUDA pieces this machine can use (scripts/setup-gpu.mjs); never part of the default install
  if (args.has('--gpu')) process.exitCode = (await import('./setup-gpu.mjs')).setupGpu(process.argv.slice(2));
}
