// An OCI image layout as a folder (save --format oci-dir, load -i DIR), made and read on the user's
// side: the helper runs as root and never opens a path a client names, so it streams an OCI layout
// tar (the same bytes as save --format oci) and this unpacks it into the folder, as the user who
// ran the command; a load packs the folder into the same tar and uploads it.
//
// Threats the unpacker stops: a name outside the layout's own (only oci-layout, index.json and
// blobs/sha256/<64 hex> are written: no path from the stream can point elsewhere); a file or link
// already there being written through (the folder must be empty or new, each file is created with
// O_EXCL, which does not follow a symlink planted at its name); a blob whose bytes are not its
// digest (each is hashed as it is written). A failure removes what was written.
import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ByteReader } from '../archive/input';
import { resolveLimits } from '../archive/limits';
import { TarReader } from '../archive/tar-reader';
import { writeArchive, type ArchiveEntry } from '../distribution/archive-writer';

const BLOB = /^blobs\/sha256\/([0-9a-f]{64})$/;
const DIRS = new Set(['blobs', 'blobs/sha256']);
const FILES = new Set(['oci-layout', 'index.json']);

/** Why `dir` cannot receive a layout (it exists and is not an empty folder), or null; `created`: it was not there. */
export async function checkTarget(dir: string): Promise<{ problem: string | null; exists: boolean }> {
  const st = await fs.lstat(dir).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return null; throw err; });
  if (!st) return { problem: null, exists: false };
  if (!st.isDirectory()) return { problem: `${dir} exists and is not a folder`, exists: true };
  if ((await fs.readdir(dir)).length > 0) return { problem: `${dir} is not empty: an OCI layout folder is written into a new or empty folder`, exists: true };
  return { problem: null, exists: true };
}

async function* chunksOf(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const c of stream) yield typeof c === 'string' ? Buffer.from(c) : c;
}

/**
 * Writes the OCI layout tar `stream` into `dir` (new or empty; made if missing). Everything it
 * wrote is removed if anything fails, the folder too if it made it.
 */
export async function unpackLayout(stream: AsyncIterable<Buffer | string>, dir: string): Promise<{ blobs: number }> {
  const { problem, exists } = await checkTarget(dir);
  if (problem) throw new Error(problem);
  if (!exists) await fs.mkdir(dir, { mode: 0o755 });
  const made: string[] = [];
  const bytes = new ByteReader(chunksOf(stream)[Symbol.asyncIterator](), Number.MAX_SAFE_INTEGER, undefined, false);
  const reader = new TarReader(bytes, resolveLimits({ maxEntries: 1_000_000, maxTotalBytes: Number.MAX_SAFE_INTEGER }));
  let blobs = 0;
  try {
    for (let e = await reader.next(); e; e = await reader.next()) {
      const name = e.name.replace(/^\.\//, '').replace(/\/$/, '');
      if (e.type === 'dir' && DIRS.has(name)) {
        if (!made.includes(name)) await fs.mkdir(join(dir, name), { mode: 0o755 });
        made.push(name);
        continue;
      }
      const blob = BLOB.exec(name);
      if (e.type !== 'file' || (!blob && !FILES.has(name))) throw new Error(`the layout stream has an entry ${JSON.stringify(name)} (${e.type}) that is not part of an OCI layout`);
      const file = await fs.open(join(dir, name), 'wx', 0o644);
      made.push(name);
      const hash = createHash('sha256');
      try {
        for await (const chunk of reader.body()) {
          hash.update(chunk);
          await file.write(chunk);
        }
      } finally {
        await file.close();
      }
      if (blob) {
        blobs++;
        if (hash.digest('hex') !== blob[1]) throw new Error(`blob ${blob[1]}: its bytes have another digest (damaged on the way)`);
      }
    }
    await bytes.drain();
    return { blobs };
  } catch (err) {
    for (const name of made.reverse()) await fs.rm(join(dir, name), { recursive: true, force: true });
    if (!exists) await fs.rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    bytes.close();
  }
}

/** Whether `path` is an OCI layout folder (a folder with an oci-layout file); throws if it is a folder without one. */
export async function isLayoutDir(path: string): Promise<boolean> {
  const st = await fs.stat(path).catch(() => null);
  if (!st?.isDirectory()) return false;
  const layout = await fs.lstat(join(path, 'oci-layout')).catch(() => null);
  if (!layout?.isFile()) throw new Error(`${path} is a folder but not an OCI image layout (it has no oci-layout file)`);
  return true;
}

/** A regular file streamed in whole: its size from the opened file, so a swap after the listing is seen. */
function fileEntry(name: string, path: string): ArchiveEntry {
  return {
    name,
    open: async () => {
      const handle = await fs.open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      const st = await handle.stat();
      if (!st.isFile()) {
        await handle.close();
        throw new Error(`${path} is not a regular file`);
      }
      return { size: st.size, stream: chunksOf(createReadStream('', { fd: handle, highWaterMark: 1024 * 1024 })) };
    },
  };
}

/**
 * The layout folder `dir` as the tar the helper's load reads: oci-layout, every blobs/sha256 blob,
 * index.json. Only regular files are sent (a symlink in the folder is refused, not followed: it
 * could name any file the user can read); the helper checks every digest.
 */
export async function packLayout(dir: string): Promise<AsyncIterable<Buffer>> {
  const entries: ArchiveEntry[] = [fileEntry('oci-layout', join(dir, 'oci-layout')), { name: 'blobs/' }, { name: 'blobs/sha256/' }];
  const blobDir = join(dir, 'blobs/sha256');
  for (const name of (await fs.readdir(blobDir).catch(() => [])).sort()) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const st = await fs.lstat(join(blobDir, name));
    if (!st.isFile()) throw new Error(`${join(blobDir, name)} is not a regular file (a layout's blobs are)`);
    entries.push(fileEntry(`blobs/sha256/${name}`, join(blobDir, name)));
  }
  const index = await fs.lstat(join(dir, 'index.json')).catch(() => null);
  if (!index?.isFile()) throw new Error(`${dir} has no index.json`);
  entries.push(fileEntry('index.json', join(dir, 'index.json')));
  return writeArchive(entries);
}
