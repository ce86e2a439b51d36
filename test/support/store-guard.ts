// What every hostile input through the CLI (import, load, a build's ADD) must leave: when refused,
// the store byte for byte as it was (every file's hash) and a message that says why; either way
// nothing in tmp/, the victim folder beside the store as it was, nothing at the host paths an
// escape would reach. The corpora's tests (import-store, tar-fuzz, load-corpus-*, add-corpus-*,
// load-archives, load-add-fuzz) run each input through guardedRun.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CliResult, type TestStore, treeSnapshot } from './strata';

export interface Guarded {
  store: TestStore;
  /** <store's parent>/victim: what an escape from the store would reach with ../victim. */
  victim: string;
}

/** The victim folder beside `store`'s root, with a file in it. */
export function besideStore(store: TestStore): Guarded {
  const victim = join(dirname(store.root), 'victim');
  mkdirSync(victim, { recursive: true });
  writeFileSync(join(victim, 'keep'), 'untouched');
  return { store, victim };
}

/**
 * Runs `run` (a CLI command given hostile input) and checks what it left; `what` names the input
 * in a failure. What a success may change is the caller's to check (and to undo), against the
 * listing from before it, which comes back with the result.
 */
export async function guardedRun(g: Guarded, what: string, run: () => Promise<CliResult>, hostPaths: string[] = []): Promise<CliResult & { before: string[] }> {
  const { root } = g.store;
  const before = treeSnapshot(root);
  const victimBefore = treeSnapshot(g.victim);
  const r = await run();
  if (r.code !== 0) {
    assert.match(r.stderr, /^Error response from daemon: \S|^Error: \S|Step \d+\/\d+/m, `${what}: a message that says why\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/i, what);
    assert.deepEqual(treeSnapshot(root), before, `${what}: refused, the store is exactly as before`);
  }
  assert.deepEqual(readdirSync(join(root, 'tmp')), [], `${what}: nothing left in tmp/`);
  assert.deepEqual(treeSnapshot(g.victim), victimBefore, `${what}: nothing written beside the store`);
  assert.deepEqual(readdirSync(dirname(root)).sort(), ['root', 'victim'], `${what}: nothing new beside the store`);
  for (const p of hostPaths) assert.ok(!existsSync(p), `${what}: nothing at ${p} on the host`);
  return { ...r, before };
}
