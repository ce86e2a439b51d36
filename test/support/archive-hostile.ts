// The arena for hostile-tar tests: a "victim" directory next to the layer's destination. After
// every attempt, the victim must be byte-for-byte, inode-for-inode what it was, and nothing may
// have appeared next to the destination: whatever a tar does, it stays inside destDir.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extractLayer, type ImportLimits } from '../../helper/archive';
import { StrataError } from '../../helper/errors';
import { ErrorCode } from '../../helper/protocol/errors';
import { describeTree, makeTmp, removeTmp, streamOf } from './archive-fs';
import type { NamedTar } from './tar-corpus';

export interface Arena {
  base: string;
  /** The layer's destination: base/layer (empty, as the store makes it). */
  dest: string;
  /** base/victim: what an escape would reach with ../victim. */
  victim: string;
}

/** A marker path on the host root that an absolute-path escape would create. */
export function hostMarker(): string {
  return `/strata-hostile-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function withArena(fn: (a: Arena) => Promise<void>, hostPaths: string[] = []): Promise<void> {
  const base = makeTmp('strata-hostile-');
  const a: Arena = { base, dest: join(base, 'layer'), victim: join(base, 'victim') };
  try {
    await fsp.mkdir(join(a.victim, 'dir'), { recursive: true });
    await fsp.writeFile(join(a.victim, 'hello'), 'hello, victim\n', { mode: 0o600 });
    await fsp.writeFile(join(a.victim, 'dir/inner'), 'inner\n');
    await fsp.utimes(join(a.victim, 'dir'), 1_500_000_000, 1_500_000_000);
    await fsp.utimes(a.victim, 1_500_000_000, 1_500_000_000);
    await fsp.mkdir(a.dest);
    const before = await describeTree(a.victim);
    const inodes = await inodesOf(a.victim);
    await fn(a);
    assert.deepEqual(await describeTree(a.victim), before, 'the victim dir is untouched');
    assert.deepEqual(await inodesOf(a.victim), inodes, 'the victim keeps its inodes');
    assert.deepEqual((await fsp.readdir(base)).sort(), ['layer', 'victim'], 'nothing was written next to the layer');
    for (const p of hostPaths) assert.ok(!existsSync(p), `nothing was written at ${p} on the host`);
  } finally {
    for (const p of hostPaths) await fsp.rm(p, { recursive: true, force: true });
    removeTmp(base);
  }
}

async function inodesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of ['', 'hello', 'dir', 'dir/inner']) out.push(`${name}:${(await fsp.lstat(join(dir, name))).ino}`);
  return out;
}

/** Extracts and expects a refusal with this code whose message matches `message`. */
export async function refused(
  input: Buffer | Readable,
  dest: string,
  message: RegExp,
  code: number = ErrorCode.BadArchive,
  limits?: Partial<ImportLimits>,
): Promise<StrataError> {
  let caught: unknown;
  try {
    await extractLayer(Buffer.isBuffer(input) ? streamOf(input) : input, dest, { limits });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof StrataError, `expected a StrataError, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.match(caught.message, message);
  assert.equal(caught.code, code, `code of: ${caught.message}`);
  return caught;
}

/** Each refused case of `cases`, in an arena of its own: refused with its message, naming its entry. */
export async function refusesEach(cases: NamedTar[]): Promise<void> {
  for (const c of cases.filter((x) => x.refused)) {
    await withArena(async ({ dest }) => {
      const err = await refused(c.tar, dest, c.refused!, c.code);
      if (c.entry) assert.ok(err.message.includes(c.entry.replace(/\/$/, '')), `names the entry: ${err.message}`);
    }, c.hostPaths).catch((err: Error) => { throw new Error(`${c.row}, ${c.label}: ${err.message}`, { cause: err }); });
  }
}
