// dist/cli.js runs the CLI's bundle through the V8 code cache the build made (helper/cli/entry.ts,
// code-cache.ts). The build's cache must be one V8 takes on this Node, and the CLI must print the
// same with it, without it, and with any broken cache: garbage, truncated, a byte changed inside
// (which V8 alone would not notice, and may abort on), one V8 refuses, one of another build.
// Each case runs a copy of dist/ in a folder of its own, so the repository's dist/ is never touched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealCodeCache } from '../../helper/cli/code-cache';
import { CLI, TestStore, repoRoot } from '../support/strata';

const dist = join(repoRoot(), 'dist');
const work = mkdtempSync(join(tmpdir(), 'strata-code-cache-'));
let store: TestStore;

interface Run { code: number | null; stdout: string; stderr: string; cache: string }

/** The CLI of `dir` (a copy of dist/), as bin/strata runs it, with the entry's report of its cache. */
function cli(dir: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [join(dir, 'cli.js'), '--', ...args], {
    encoding: 'utf8', env: { ...process.env, STRATA_CODE_CACHE_REPORT: '1', STRATA_IDLE_TIMEOUT: '120' }, timeout: 60_000,
  });
  const report = /^strata: code cache (.*)\n/m.exec(r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^strata: code cache .*\n/m, ''), cache: report?.[1] ?? 'no report' };
}

/** A copy of dist/ whose code cache is what `cache` makes of the built one (undefined: none). */
function distWith(name: string, cache: (built: Buffer) => Buffer | undefined): string {
  const dir = join(work, name);
  cpSync(dist, dir, { recursive: true });
  const made = cache(readFileSync(join(dist, 'cli-main.v8cache')));
  rmSync(join(dir, 'cli-main.v8cache'));
  if (made) writeFileSync(join(dir, 'cli-main.v8cache'), made);
  return dir;
}

const header = 40; // code-cache.ts: our header before V8's data
const bundle = () => readFileSync(join(dist, 'cli-main.js'));
const cases: [string, (built: Buffer) => Buffer | undefined, RegExp][] = [
  ['as built', (b) => b, /^accepted$/],
  ['absent', () => undefined, /^none \(ENOENT\)$/],
  ['garbage bytes', (b) => randomBytes(b.length), /^unused: not a Strata code cache$/],
  ['truncated', (b) => b.subarray(0, b.length - 4096), /^unused: truncated/],
  ['a byte changed inside its V8 data', (b) => { const c = Buffer.from(b); c[header + (c.length - header) / 2 | 0] ^= 0x5a; return c; }, /^unused: its V8 data does not match/],
  // V8's own header (its version hash among the first words) changed, ours sealed anew over it:
  // V8 is the one to refuse it, as it refuses the cache of another Node.
  ['refused by V8', (b) => { const v8 = Buffer.from(b.subarray(header)); v8[4] ^= 0xff; return sealCodeCache(bundle(), v8); }, /^rejected by V8$/],
  ['made from another bundle', (b) => sealCodeCache(Buffer.concat([bundle(), Buffer.from('\n')]), b.subarray(header)), /^unused: made from another build/],
];
const dirs = new Map<string, string>();

before(() => {
  store = TestStore.create('code-cache');
  for (const [name, make] of cases) dirs.set(name, distWith(name.replace(/\W+/g, '-'), make));
});
after(async () => {
  // The helper runs from one of the copies: stopped before they go.
  await store.close();
  rmSync(work, { recursive: true, force: true });
});

test('the build made a code cache that V8 accepts on this Node', () => {
  const r = spawnSync(process.execPath, [CLI, '--', '--version'], { encoding: 'utf8', env: { ...process.env, STRATA_CODE_CACHE_REPORT: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, 'strata: code cache accepted\n');
  assert.equal(r.stdout, 'strata version 0.1.0\n');
});

test('without STRATA_CODE_CACHE_REPORT the entry prints nothing of its own', () => {
  const out = execFileSync(process.execPath, [CLI, '--', '--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(out, 'strata version 0.1.0\n');
});

for (const [name, , report] of cases) {
  test(`a code cache ${name}: the CLI prints what it prints without one`, () => {
    const dir = dirs.get(name)!;
    const reference = dirs.get('absent')!;
    const commands = [['--version'], ['--help'], ['images', '--help'], ['nosuchverb'], ['images', '--nosuchflag'], ['--root', store.root, 'images'], ['--root', store.root, 'history', 'nosuchimage']];
    for (const args of commands) {
      const got = cli(dir, ...args);
      const want = cli(reference, ...args);
      assert.match(got.cache, report, `strata ${args.join(' ')}: ${got.stderr}`);
      assert.deepEqual({ code: got.code, stdout: got.stdout, stderr: got.stderr }, { code: want.code, stdout: want.stdout, stderr: want.stderr }, `strata ${args.join(' ')}`);
    }
    assert.match(cli(dir, '--root', store.root, 'images').stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n$/);
  });
}

test('an error thrown in the bundle names the bundle and its own line', () => {
  // A stand-in bundle beside a copy of the entry: the stack must point at it, line as written.
  const dir = join(work, 'throws');
  cpSync(dist, dir, { recursive: true });
  writeFileSync(join(dir, 'cli-main.js'), '"use strict";\n\nfunction fail() {\n  throw new Error("from the bundle");\n}\nfail();\n');
  const r = cli(dir, '--version');
  assert.notEqual(r.code, 0);
  assert.equal(r.cache, 'unused: made from another build of the bundle');
  assert.match(r.stderr, /Error: from the bundle\n\s+at fail \((.*)\/cli-main\.js:4:9\)/);
  assert.ok(r.stderr.includes(`${join(dir, 'cli-main.js')}:4:9`), r.stderr);
});
