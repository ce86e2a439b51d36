// A tar imported with a tar-split into a temp folder: the source reproduce.ts and
// reproduce-gzip.ts make the tar again from (tests of both).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { extractLayer } from '../../helper/archive';
import type { LayerTarSource } from '../../helper/archive/reproduce';
import { streamOf } from './archive-fs';

/** Imports `input` into tmp/<name> with a tar-split. */
export async function importWithSplit(tmp: string, name: string, input: Buffer): Promise<{ src: LayerTarSource; unreproducible?: string }> {
  const dir = join(tmp, name);
  await fsp.mkdir(dir);
  const r = await extractLayer(streamOf(input, 7777), join(dir, 'layer'), { tarSplit: join(dir, 'tar-split') });
  const src: LayerTarSource = { id: name, diffId: r.diffId, dir: join(dir, 'layer'), tarSplit: r.unreproducible ? null : join(dir, 'tar-split'), unreproducible: r.unreproducible };
  return { src, unreproducible: r.unreproducible };
}

/** GNU tar's archive of `dir` in `format` (posix: with xattrs), written to `file`. */
export async function gnuTar(dir: string, file: string, format: 'posix' | 'gnu'): Promise<Buffer> {
  const xattrs = format === 'posix' ? ['--xattrs', '--xattrs-include=*'] : [];
  await execa('tar', [`--format=${format}`, ...xattrs, '--numeric-owner', '-cf', file, '-C', dir, '.']);
  return fsp.readFile(file);
}
