// Installs what the real-VS-Code tests need, idempotently, on a fresh Debian 12 machine (as root):
//   - Debian packages: chromium (the browser that shows the workbench), fonts-dejavu-core (so it
//     has a font), and, for building code-server's native modules, libkrb5-dev python3 make g++,
//     and ripgrep (its binary stands in for the one @vscode/ripgrep would download from GitHub).
//   - code-server 4.100.3 (= VS Code 1.100.3, the last line that runs on Node 20) with npm into
//     .vscode-test/code-server/ (git-ignored), never as a dependency of the project.
// Skips everything when the stamp file .vscode-test/code-server/.strata-installed holds the version
// and the Debian packages are there. One line per step on stdout.
// Usage: node scripts/vscode-setup.mjs [--force]      Also importable: ensureVSCode()
// test/vscode/README.md ("Why code-server, and how it is driven") says why each workaround is needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const installDir = join(root, '.vscode-test/code-server');
export const codeServerEntry = join(installDir, 'node_modules/code-server/out/node/entry.js');
export const chromiumPath = '/usr/bin/chromium';
const stampFile = join(installDir, '.strata-installed');
const bundledRg = join(installDir, 'node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg');

// Debian package -> a file that proves it is installed.
const runtimePackages = {
  chromium: chromiumPath,
  'fonts-dejavu-core': '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
};
const buildPackages = {
  'libkrb5-dev': '/usr/bin/krb5-config',
  python3: '/usr/bin/python3',
  make: '/usr/bin/make',
  'g++': '/usr/bin/g++',
  ripgrep: '/usr/bin/rg',
};

// @vscode/ripgrep (pinned inside code-server) looks for this file before downloading from GitHub.
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const say = (msg) => console.log(`vscode-setup: ${msg}`);
const since = (t) => `${((Date.now() - t) / 1000).toFixed(1)}s`;

function fail(msg) {
  console.error(`vscode-setup: FAILED: ${msg}`);
  process.exit(1);
}

// Runs a command quietly; on failure prints the tail of its output.
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, ...opts });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { ok: r.status === 0, status: r.status, out, error: r.error };
}

function tail(text, lines = 40) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function installedVersion() {
  try {
    return readFileSync(stampFile, 'utf8').trim();
  } catch {
    return null;
  }
}

function missingDebian(wanted) {
  return Object.keys(wanted).filter((pkg) => !existsSync(wanted[pkg]));
}

function ensureDebian(wanted) {
  const missing = missingDebian(wanted);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) fail(`missing Debian packages: ${missing.join(' ')} (run as root or: sudo apt-get install ${missing.join(' ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  let t = Date.now();
  let r = install();
  if (!r.ok) {
    say(`apt-get install failed, running apt-get update`);
    const u = run('apt-get', ['update', '-q'], { env });
    if (!u.ok) fail(`apt-get update:\n${tail(u.out)}`);
    t = Date.now();
    r = install();
    if (!r.ok) fail(`apt-get install ${missing.join(' ')}:\n${tail(r.out)}`);
  }
  say(`apt-get installed ${missing.join(' ')} (${since(t)})`);
}

function installCodeServer() {
  const t0 = Date.now();
  // Start from nothing: a half-finished earlier install must not be trusted.
  rmSync(installDir, { recursive: true, force: true });
  const tmp = join(root, '.vscode-test/tmp-setup');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(installDir, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  say(`cleaned ${installDir}`);

  // The ripgrep "download": a tar.gz whose only member is Debian's rg (also ripgrep 13).
  const rgCache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
  const rgStage = join(tmp, 'rg-stage');
  mkdirSync(rgCache, { recursive: true });
  mkdirSync(rgStage, { recursive: true });
  copyFileSync('/usr/bin/rg', join(rgStage, 'rg'));
  chmodSync(join(rgStage, 'rg'), 0o755);
  const tar = run('tar', ['-czf', join(rgCache, RIPGREP_ASSET), '-C', rgStage, 'rg']);
  if (!tar.ok) fail(`making the ripgrep cache file:\n${tail(tar.out)}`);
  say(`ripgrep cache made from /usr/bin/rg in ${rgCache}`);

  writeFileSync(
    join(installDir, 'package.json'),
    JSON.stringify({ name: 'strata-vscode-test', private: true, description: 'code-server for the real-VS-Code tests (made by scripts/vscode-setup.mjs)' }, null, 2) + '\n',
  );
  const env = {
    ...process.env,
    TMPDIR: tmp,
    // code-server's postinstall refuses root without it (npm 11 no longer knows the flag itself).
    npm_config_unsafe_perm: 'true',
    // node-pty's postinstall runs `npx node-gyp`; a machine npmrc with yes=false cancels it.
    npm_config_yes: 'true',
    // Nested installs must still run their scripts if npm turns strict about install scripts.
    npm_config_dangerously_allow_all_scripts: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // node-gyp must build kerberos/argon2 against the installed Node's headers, never download them.
  if (existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  const t = Date.now();
  say(`npm install code-server@${CODE_SERVER_VERSION} into ${installDir} (builds native modules, about a minute)`);
  const npm = run('npm', ['install', '--no-save', '--no-package-lock', '--omit=dev', `code-server@${CODE_SERVER_VERSION}`], { cwd: installDir, env });
  writeFileSync(join(root, '.vscode-test/setup-npm.log'), npm.out);
  if (!npm.ok) fail(`npm install code-server@${CODE_SERVER_VERSION} (exit ${npm.status}; full log .vscode-test/setup-npm.log):\n${tail(npm.out)}`);
  if (!existsSync(bundledRg)) fail(`@vscode/ripgrep did not install its binary ${bundledRg} (see .vscode-test/setup-npm.log)`);
  say(`npm install done (${since(t)})`);

  // Check that what we installed really starts and is the version we want.
  // (XDG_* in the temp folder: even --version writes a default config file under $HOME otherwise.)
  const xdg = { XDG_CONFIG_HOME: join(tmp, 'config'), XDG_DATA_HOME: join(tmp, 'data'), XDG_CACHE_HOME: join(tmp, 'cache') };
  const v = run(process.execPath, [codeServerEntry, '--version'], { env: { ...process.env, TMPDIR: tmp, ...xdg } });
  const versionLine = v.out.split('\n').find((l) => l.startsWith(`${CODE_SERVER_VERSION} `));
  if (!v.ok || !versionLine) fail(`code-server --version:\n${tail(v.out)}`);
  if (!run(bundledRg, ['--version']).ok) fail(`code-server's ripgrep ${bundledRg} does not run`);
  say(`verified: code-server ${versionLine.trim()}, bundled rg runs`);

  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(stampFile, `${CODE_SERVER_VERSION}\n`);
  say(`code-server ${CODE_SERVER_VERSION} installed (${since(t0)})`);
}

export function ensureVSCode({ force = false } = {}) {
  const t0 = Date.now();
  const have = installedVersion();
  const ready = !force && have === CODE_SERVER_VERSION && existsSync(codeServerEntry);
  if (ready && missingDebian(runtimePackages).length === 0) {
    say(`code-server ${CODE_SERVER_VERSION} already installed in .vscode-test/code-server, chromium present: nothing to do`);
    return;
  }
  ensureDebian(ready ? runtimePackages : { ...runtimePackages, ...buildPackages });
  if (!ready) {
    if (have) say(`found code-server ${have} (want ${CODE_SERVER_VERSION}): reinstalling`);
    installCodeServer();
  }
  say(`ready (${since(t0)})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureVSCode({ force: process.argv.includes('--force') });
}
