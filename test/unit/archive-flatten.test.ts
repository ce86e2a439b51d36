// A stack of layers flattened by overlayfs's rules (archive/flatten.ts, what export writes): the
// upper entry wins, a whiteout hides its path and subtree below, an opaque directory hides what is
// below inside it, a file hides a lower directory of its name; no whiteout or opaque marker is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { extract } from 'tar-stream';
import { extractLayer } from '../../helper/archive';
import { packMerged } from '../../helper/archive/flatten';
import { collect, makeTmp, removeTmp, streamOf } from '../support/archive-fs';
import { buildTar, type TarSpec } from '../support/archive-tar';

/** The entries of a tar: name -> file data ('' for others), in tar order. */
async function entries(tar: Buffer): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const x = extract();
  x.on('entry', (h, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: unknown) => parts.push(c as Buffer));
    stream.on('end', () => { out.push([h.name, h.type === 'file' ? Buffer.concat(parts).toString() : `<${h.type}>`]); next(); });
  });
  const done = new Promise<void>((resolve, reject) => { x.on('finish', () => resolve()); x.on('error', reject); });
  x.end(tar);
  await done;
  return out;
}

test('layers flatten as overlayfs shows them: upper wins, whiteouts and opaque dirs hide what is below, no markers remain', async () => {
  const tmp = makeTmp();
  try {
    const layers: [string, TarSpec[]][] = [
      ['base', [
        { name: 'etc/', type: 'directory' }, { name: 'etc/motd', data: 'base motd' }, { name: 'etc/passwd', data: 'root' },
        { name: 'cache/', type: 'directory' }, { name: 'cache/old', data: 'stale' },
        { name: 'gone/', type: 'directory' }, { name: 'gone/deep', data: 'x' },
        { name: 'dir-then-file/', type: 'directory' }, { name: 'dir-then-file/child', data: 'hidden' },
        { name: 'linked', data: 'shared' }, { name: 'linked2', type: 'link', linkname: 'linked' },
      ]],
      ['middle', [
        { name: 'etc/motd', data: 'middle motd' },
        { name: '.wh.gone' },
        { name: 'cache/.wh..wh..opq' }, { name: 'cache/new', data: 'fresh' },
        { name: 'dir-then-file', data: 'now a file' },
      ]],
      ['top', [{ name: 'etc/.wh.passwd' }, { name: 'top-only', data: 'top' }, { name: '.wh.linked' }]],
    ];
    for (const [name, specs] of layers) await extractLayer(streamOf(await buildTar(specs)), join(tmp, name));
    const out = new PassThrough();
    const [, tar] = await Promise.all([packMerged(tmp, ['top', 'middle', 'base'], out), collect(out)]);
    assert.deepEqual(await entries(tar), [
      ['cache/', '<directory>'],
      ['cache/new', 'fresh'],
      ['dir-then-file', 'now a file'],
      ['etc/', '<directory>'],
      ['etc/motd', 'middle motd'],
      ['linked2', 'shared'], // its other name whited out: this one carries the data now
      ['top-only', 'top'],
    ]);
  } finally {
    removeTmp(tmp);
  }
});
