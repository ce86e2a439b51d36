// A strata-fs process that stops while its output is still unread counts as stopped: a wait for it
// ends with its failure. An import onto a full disk hung for good (its client too) when the tool
// died of ENOSPC with frames unread in its stdout while the helper waited for the operations' pipe
// to drain: the wait raced the tool's exit, and that exit was execa's, which also waits for
// stdout to be read to its end (helper/archive/op-stream.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LayerImporter } from '../../helper/archive/op-stream';
import { makeTmp, removeTmp } from '../support/archive-fs';
import { eventually } from '../support/runtime-fixture';
import { buildTar } from '../support/archive-tar';

/** `p`, or a rejection saying it hung after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms: the tool's exit was not seen`)), ms);
  });
  return Promise.race([p, hung]).finally(() => clearTimeout(timer));
}

test('a tool that dies with its output unread fails the wait for its pipe instead of hanging it', async () => {
  const base = makeTmp('strata-op-exit-');
  const dir = join(base, 'layer');
  mkdirSync(dir);
  const out = new LayerImporter(dir);
  try {
    // 400 entries: ~200 KB of frames, more than the tool's stdout pipe holds, and nobody reads them.
    const tar = await buildTar(Array.from({ length: 400 }, (_, i) => ({ name: `f${i}`, data: 'x'.repeat(3000) })));
    out.io.tarIn.end(tar);
    // Read as the import's reader reads them (an async iterator), one chunk, then no more for now.
    const frames = out.io.frames[Symbol.asyncIterator]();
    await frames.next();
    // Then wait until frames sit unread in the stream's buffer: a tool slow to start (a loaded CI
    // machine) had written only what that first read took when it stopped, so nothing was left
    // unread and the case under test did not arise.
    const { frames: stream } = out.io;
    await eventually('a full buffer of frames nobody has read', () => stream.readableLength >= stream.readableHighWaterMark || undefined, 30_000);
    // An operation the tool does not know: it stops on it, as it stops on a full disk.
    out.op('?');
    // Then more than the operations' pipe and the write buffer hold: pace() waits for the pipe.
    for (let i = 0; i < 12; i++) out.data(Buffer.alloc(1024 * 1024));
    await assert.rejects(within(out.pace().then(() => out.pace()), 30_000), /strata-fs: bad operation/);
    assert.equal(out.io.frames.readableEnded, false, 'the frames were still unread');
  } finally {
    await within(out.abort(), 30_000);
    removeTmp(base);
  }
});
