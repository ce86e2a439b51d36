// Builds everything the product runs: the esbuild bundles and the native runtime tool.
// Usage: node scripts/build.mjs [--tests]   (--tests also bundles test/**/*.test.ts into out/test,
// and the VS Code suite, test/vscode/*.test.ts, into out/test/vscode for scripts/vscode-run.mjs)
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { dropStore } from './drop-store.mjs';

const root = new URL('..', import.meta.url).pathname;

/** A hash of the engine's sources (helper/, TypeScript and C) and the package version: two builds
 *  that could behave differently get different ids (helper/protocol/methods.ts BUILD_ID). */
function buildId() {
  const hash = createHash('sha256').update(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|c|h)$/.test(name)) hash.update(relative(root, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  walk(join(root, 'helper'));
  return hash.digest('hex').slice(0, 16);
}

const common = {
  define: { STRATA_BUILD_ID: JSON.stringify(buildId()) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // node-pty is native (tests only); vscode is provided by the extension host.
  external: ['vscode', 'node-pty'],
};

// Each helper/<part>/native/ folder is one small C program, built into dist/.
// They exist because Node cannot make the syscalls they need: clone with namespaces, pivot_root,
// setns, capset, receiving a pty master over SCM_RIGHTS (runtime); xattrs, mknod and batched
// walks, reads and writes beneath a root with openat2 (archive).
const nativeTools = { 'helper/runtime/native': 'strata-shim', 'helper/archive/native': 'strata-fs' };

function buildNative() {
  for (const [dir, name] of Object.entries(nativeTools)) {
    const src = join(root, dir);
    if (!existsSync(src)) continue;
    const files = readdirSync(src);
    const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(src, f));
    if (sources.length === 0) continue;
    const out = join(root, 'dist', name);
    const newest = Math.max(...files.map((f) => statSync(join(src, f)).mtimeMs));
    if (existsSync(out) && statSync(out).mtimeMs > newest) continue;
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-o', out, ...sources], { stdio: 'inherit' });
    chmodSync(out, 0o755);
  }
}

function testEntries(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    // test/vscode runs inside VS Code (mocha, the vscode module), not under node:test.
    if (p === join(root, 'test/vscode')) continue;
    if (statSync(p).isDirectory()) found.push(...testEntries(p));
    else if (name.endsWith('.test.ts')) found.push(p);
  }
  return found;
}

mkdirSync(join(root, 'dist'), { recursive: true });
buildNative();
const entries = [
  { in: 'helper/main.ts', out: 'helper' },
  // dist/cli.js is the CLI's small entry: it runs dist/cli-main.js through its code cache.
  { in: 'helper/cli/entry.ts', out: 'cli' },
].filter((e) => existsSync(join(root, e.in)));
await build({
  ...common,
  entryPoints: entries.map((e) => ({ in: join(root, e.in), out: e.out })),
  outdir: join(root, 'dist'),
  banner: { js: '#!/usr/bin/env node' },
});
for (const e of entries) chmodSync(join(root, 'dist', `${e.out}.js`), 0o755);
if (existsSync(join(root, 'helper/cli/main.ts'))) await buildCli();

/**
 * The CLI's bundle (no #! line: dist/cli.js wraps it as Node wraps a module) and its V8 code cache,
 * made by running a command through dist/cli.js with STRATA_CODE_CACHE_OUT: the cache then holds
 * what that command compiled, beyond the top level (test/bench/README.md, "The CLI", has the
 * figures). As root (this project's machines, CI, npm test), that command is `images` against an
 * empty store of its own whose helper is started for it and stopped after: the start every command
 * that asks the helper shares (connection, JSON-RPC, a request, a table). Without root, or if that
 * helper cannot serve, `--help`, which needs no helper: it runs every command module's top level.
 * No NODE_OPTIONS: V8 refuses a cache made under other V8 flags than the commands run with.
 */
async function buildCli() {
  const cache = join(root, 'dist/cli-main.v8cache');
  await build({
    ...common,
    entryPoints: [join(root, 'helper/cli/main.ts')],
    outfile: join(root, 'dist/cli-main.js'),
    // Every import() becomes a require() in a promise: the bundle runs as a vm.Script, which has no
    // loader for a real dynamic import ("A dynamic import callback was not specified").
    supported: { 'dynamic-import': false },
  });
  const env = { ...process.env, STRATA_IDLE_TIMEOUT: '30' };
  delete env.NODE_OPTIONS;
  delete env.STRATA_CODE_CACHE_REPORT;
  const cli = (args, out) => execFileSync(process.execPath, [join(root, 'dist/cli.js'), '--', ...args], {
    env: out ? { ...env, STRATA_CODE_CACHE_OUT: out } : env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Most builds change nothing in the CLI: a cache that entry.ts still accepts for the bundle just
  // written (our header's digests match its bytes, and V8 takes it) is kept, instead of starting a
  // helper to make the same cache again (one Node start, against ~1-2 s).
  const check = spawnSync(process.execPath, [join(root, 'dist/cli.js'), '--', '--version'], {
    env: { ...env, STRATA_CODE_CACHE_REPORT: '1' }, encoding: 'utf8',
  });
  if (check.status === 0 && check.stderr.includes('code cache accepted')) return;
  rmSync(cache, { force: true });
  if (process.getuid?.() === 0) {
    const store = join(mkdtempSync(join(tmpdir(), 'strata-build-cache-')), 'root');
    try {
      cli(['--root', store, 'images', '-q']); // starts the store's helper
      cli(['--root', store, 'images'], `${cache}.tmp`);
      renameSync(`${cache}.tmp`, cache);
      return;
    } catch (err) {
      console.warn(`build: the CLI's code cache is made from --help: a helper did not serve \`strata images\` (${String(err.stderr || err.message).trim().split('\n')[0]})`);
    } finally {
      dropStore(store);
      rmSync(dirname(store), { recursive: true, force: true });
    }
  }
  cli(['--help'], `${cache}.tmp`);
  renameSync(`${cache}.tmp`, cache);
}

if (existsSync(join(root, 'extension/extension.ts'))) {
  await build({
    ...common,
    entryPoints: [join(root, 'extension/extension.ts')],
    outfile: join(root, 'dist/extension.js'),
  });
}
if (process.argv.includes('--tests')) {
  const tests = testEntries(join(root, 'test'));
  await build({
    ...common,
    entryPoints: [
      ...tests.map((t) => ({ in: t, out: relative(join(root, 'test'), t).replace(/\.ts$/, '') })),
      // npm run bench's engine part (scripts/bench.mjs runs it; npm test runs it with --quick).
      { in: join(root, 'test/bench/main.ts'), out: 'bench/main' },
      // npm run bench:registry (scripts/bench-registry.mjs runs it).
      { in: join(root, 'test/bench/registry.ts'), out: 'bench/registry' },
    ],
    outdir: join(root, 'out/test'),
  });
  // The real-VS-Code suite: test/vscode/README.md. mocha stays external: the test files' suite()
  // and test() globals must come from the same mocha copy that runs them.
  const vscodeTests = readdirSync(join(root, 'test/vscode')).filter((f) => f.endsWith('.test.ts'));
  await build({
    ...common,
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    entryPoints: [
      { in: join(root, 'test/vscode/support/suite-index.ts'), out: 'index' },
      ...vscodeTests.map((f) => ({ in: join(root, 'test/vscode', f), out: f.replace(/\.ts$/, '') })),
    ],
    outdir: join(root, 'out/test/vscode'),
  });
}
