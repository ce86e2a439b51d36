// Reading an image archive (what `docker save`, `podman save`, skopeo and `strata save` write: the
// docker-archive layout or an OCI image layout, plain or gzip'd) as it streams, without a temporary
// copy: the JSON files (manifests, configs, index) are small and kept in memory; anything bigger is
// a layer, extracted into a staged layer folder as it passes (with its tar-split), since a docker
// archive names its layers only in manifest.json, which comes last. load-plan.ts then reads the
// manifests and checks every digest against what was staged.
//
// Names in the archive are only keys here: nothing is written at a path the archive names (the
// layers' own contents go through the importer's defences, archive/extract.ts).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ByteReader, openInput } from '../archive/input';
import { badArchive, limitExceeded, resolveLimits } from '../archive/limits';
import { TarReader } from '../archive/tar-reader';

/** A layer extracted from the archive into a stage of the store, not yet in the graph. */
export interface StagedLayer {
  stage: string;
  diffId: string;
  size: number;
  /** Why its tar cannot be reproduced (no tar-split kept), from the importer. */
  unreproducible?: string;
}

export type Found =
  | { kind: 'bytes'; data: Buffer; digest: string }
  | { kind: 'layer'; layer: StagedLayer; /** sha256 of the blob as it is in the archive (gzip'd or not) */ digest: string }
  | { kind: 'link'; target: string };

// Bigger than this, an entry is taken for a layer (no config or manifest comes near it).
export const SMALL_ENTRY = 1024 * 1024;
// The most all the small entries together may hold in memory.
const SMALL_TOTAL = 64 * 1024 * 1024;

/** An archive path without './' or a leading '/'; a link's target resolved against its folder. */
export function archivePath(name: string, from = ''): string {
  const parts: string[] = from ? from.split('/').slice(0, -1) : [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

/** Hashes what passes (the blob's own digest, before any gunzip). */
async function* hashing(body: AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    hash.update(chunk);
    yield chunk;
  }
}

/**
 * Every entry of the archive `input`, by path: small files' bytes, staged layers, links. `stage`
 * extracts one layer from its stream; it is called in archive order, one at a time.
 */
export async function readArchive(input: NodeJS.ReadableStream, stage: (body: NodeJS.ReadableStream) => Promise<StagedLayer>, signal?: AbortSignal): Promise<Map<string, Found>> {
  const limits = resolveLimits({ maxEntries: 100_000, maxTotalBytes: Number.MAX_SAFE_INTEGER });
  const bytes = new ByteReader(await openInput(input, undefined, signal, 0), limits.maxTotalBytes, signal, false);
  const reader = new TarReader(bytes, limits);
  const found = new Map<string, Found>();
  let small = 0;
  try {
    for (let e = await reader.next(); e; e = await reader.next()) {
      const path = archivePath(e.name);
      if (e.type === 'symlink' || e.type === 'link') {
        found.set(path, { kind: 'link', target: e.type === 'symlink' ? archivePath(e.linkname, path) : archivePath(e.linkname) });
      } else if (e.type === 'file' && e.size <= SMALL_ENTRY) {
        small += e.size;
        if (small > SMALL_TOTAL) throw limitExceeded(`the archive holds more than ${SMALL_TOTAL} bytes of small files (manifests, configs): not an image archive`);
        const data = Buffer.concat(await reader.readBody());
        found.set(path, { kind: 'bytes', data, digest: `sha256:${createHash('sha256').update(data).digest('hex')}` });
      } else if (e.type === 'file') {
        const hash = createHash('sha256');
        const layer = await stage(Readable.from(hashing(reader.body(), hash), { objectMode: false }));
        found.set(path, { kind: 'layer', layer, digest: `sha256:${hash.digest('hex')}` });
      }
      // Directories and anything else carry nothing an image needs.
    }
    await bytes.drain();
  } finally {
    bytes.close();
  }
  return found;
}

/** The entry at `path`, through links (a docker archive links a layer shared by two images). */
export function lookup(found: Map<string, Found>, path: string, what: string): Exclude<Found, { kind: 'link' }> {
  let p = archivePath(path);
  for (let hops = 0; hops < 16; hops++) {
    const f = found.get(p);
    if (!f) throw badArchive(`the archive has no ${what} ${JSON.stringify(p)}`);
    if (f.kind !== 'link') return f;
    p = f.target;
  }
  throw badArchive(`${what} ${JSON.stringify(path)}: too many links`);
}
