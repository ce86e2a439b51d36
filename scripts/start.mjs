// npm start: opens Strata in VS Code. Builds, makes sure the store has the built-in busybox image,
// then starts VS Code with the extension installed and keeps running until Ctrl-C:
//   - here (no desktop VS Code can be installed): code-server 4.100.3 in the browser, with its
//     settings and extensions in .vscode-test/start/ (git-ignored); it prints the URL to open;
//   - `npm start -- --desktop`: the desktop VS Code on the PATH (`code`), with the extension loaded
//     from this folder (--extensionDevelopmentPath), until its window closes.
// Options: --port N (default 8080), --host ADDR (default 127.0.0.1; anything else asks for a
// password), --root DIR (the store; default $STRATA_ROOT or /var/lib/strata), --folder DIR (the
// workspace to open; default the folder npm start was run from). The old transcript: npm run demo.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { root, ensureDebianPackages, ensureNodeModules, ensureBuilt } from './ensure.mjs';

const say = (msg) => console.log(`strata: ${msg}`);

function parseArgs(argv) {
  const o = { desktop: false, port: 8080, host: '127.0.0.1', root: process.env.STRATA_ROOT || '/var/lib/strata', folder: process.env.INIT_CWD || process.cwd() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--desktop') o.desktop = true;
    else if (a === '--port') o.port = Number(value());
    else if (a === '--host') o.host = value();
    else if (a === '--root') o.root = resolve(value());
    else if (a === '--folder') o.folder = resolve(value());
    else if (a === '-h' || a === '--help') {
      console.log('usage: npm start [-- --desktop] [--port N] [--host ADDR] [--root DIR] [--folder DIR]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (see npm start -- --help)`);
  }
  if (!Number.isInteger(o.port) || o.port <= 0 || o.port > 65535) throw new Error('--port wants a port number');
  return o;
}

function onPath(program) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, program)));
}

/** The built-in image, so that the Images view has something to open at once. */
function ensureBusybox(storeRoot) {
  const cli = [join(root, 'dist/cli.js'), '--root', storeRoot, 'busybox'];
  const asRoot = process.getuid() === 0;
  const r = asRoot
    ? spawnSync(process.execPath, cli, { encoding: 'utf8' })
    : spawnSync('sudo', ['-n', process.execPath, ...cli], { encoding: 'utf8' });
  if (r.status === 0) {
    say(`the built-in busybox image is in ${storeRoot} (${r.stdout.trim().slice(7, 19)})`);
    return;
  }
  say(`could not make the busybox image now (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}); the Images view offers it`);
}

function startDesktop(o) {
  say(`starting desktop VS Code with the extension from ${root}`);
  // VS Code refuses to run as root without its own data folder and --no-sandbox.
  const asRoot = process.getuid() === 0 ? ['--no-sandbox', '--user-data-dir', join(root, '.vscode-test/start/desktop-user-data')] : [];
  const code = spawn('code', [...asRoot, '--new-window', '--wait', `--extensionDevelopmentPath=${root}`, o.folder], {
    stdio: 'inherit',
    env: { ...process.env, STRATA_ROOT: o.root },
  });
  const stop = () => code.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  code.on('exit', (c) => process.exit(c ?? 0));
}

async function startCodeServer(o) {
  const { ensureVSCode, codeServerEntry } = await import('./vscode-setup.mjs');
  ensureVSCode();
  const state = join(root, '.vscode-test/start');
  const dirs = Object.fromEntries(['user-data', 'extensions', 'config', 'data', 'cache', 'tmp'].map((d) => [d, join(state, d)]));
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const env = { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, XDG_CACHE_HOME: dirs.cache, TMPDIR: dirs.tmp, STRATA_ROOT: o.root };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k.startsWith('VSCODE_')) delete env[k];

  // Settings on the first start only: the user's own changes later are kept.
  const settingsFile = join(dirs['user-data'], 'User/settings.json');
  if (!existsSync(settingsFile)) {
    mkdirSync(join(dirs['user-data'], 'User'), { recursive: true });
    writeFileSync(settingsFile, JSON.stringify({
      'telemetry.telemetryLevel': 'off',
      'security.workspace.trust.enabled': false,
      'extensions.autoCheckUpdates': false,
      'workbench.startupEditor': 'none',
    }, null, 2) + '\n');
  }

  // The extension as a user gets it: packaged (npm run package does the same) and installed.
  const vsix = join(state, 'strata.vsix');
  const vsce = spawnSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], { cwd: root, encoding: 'utf8' });
  if (vsce.status !== 0) throw new Error(`packaging the extension failed:\n${vsce.stdout}${vsce.stderr}`);
  const install = spawnSync(process.execPath, [codeServerEntry, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs['user-data'], '--install-extension', vsix, '--force'], { env, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`installing ${vsix} into code-server failed:\n${install.stdout}${install.stderr}`);
  say(`installed the extension (${vsix}) into ${dirs.extensions}`);

  // Anything but loopback gets a password: code-server runs as root here.
  const local = o.host === '127.0.0.1' || o.host === 'localhost' || o.host === '::1';
  const password = local ? undefined : randomBytes(12).toString('base64url');
  const args = [
    codeServerEntry,
    '--bind-addr', `${o.host}:${o.port}`,
    '--auth', local ? 'none' : 'password',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--user-data-dir', dirs['user-data'],
    '--extensions-dir', dirs.extensions,
    o.folder,
  ];
  const server = spawn(process.execPath, args, { env: password ? { ...env, PASSWORD: password } : env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = join(state, 'code-server.log');
  writeFileSync(log, '');
  let announced = false;
  let head = '';
  const onData = (chunk) => {
    const text = chunk.toString();
    writeFileSync(log, text, { flag: 'a' });
    if (!announced) head += text;
    if (!announced && /HTTP server listening on/.test(head)) {
      announced = true;
      const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}/?folder=${encodeURIComponent(o.folder)}`;
      console.log('');
      say(`VS Code (code-server) with Strata is running: open ${url}`);
      if (password) say(`password: ${password}`);
      say('Strata is the layers icon in the activity bar; the walkthrough "Understanding Docker, by seeing it" is under Help > Welcome');
      say(`store ${o.root}; code-server's log ${log}; Ctrl-C to stop`);
    }
  };
  server.stdout.on('data', onData);
  server.stderr.on('data', onData);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    say('stopping code-server (the Strata helper stays while containers run, and leaves when idle)');
    try { process.kill(-server.pid, 'SIGTERM'); } catch {}
    setTimeout(() => { try { process.kill(-server.pid, 'SIGKILL'); } catch {} }, 3000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (code, signal) => {
    if (!stopping) console.error(`strata: code-server exited (${signal ?? code}); its log: ${log}`);
    process.exit(stopping ? 0 : 1);
  });
}

try {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid() === 0) ensureDebianPackages();
  ensureNodeModules();
  ensureBuilt();
  ensureBusybox(o.root);
  if (o.desktop) {
    if (!onPath('code')) throw new Error('--desktop needs the `code` command on the PATH (VS Code: "Shell Command: Install \'code\' command in PATH")');
    startDesktop(o);
  } else {
    if (process.getuid() !== 0) say('not root: the extension will reach its helper with sudo -n, pkexec or strata.helper.socket (see the README)');
    await startCodeServer(o);
  }
} catch (err) {
  console.error(`strata: ${err.message}`);
  process.exit(1);
}
