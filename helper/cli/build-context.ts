// The build context as the client sends it: the folder's files (read as the user who runs the
// command) as a tar stream, less what .dockerignore excludes, as the docker CLI packs it. The
// Dockerfile and .dockerignore always go (the helper needs them), and a Dockerfile from outside the
// folder is added under a name of its own. Entries: directories, regular files (hard links as
// copies), symlinks; owners are not sent (COPY makes files root's unless --chown, as Docker).
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { BLOCK, encodeHeaderInto, MAX_OCTAL_11, padding, paxRecord } from '../archive/tar-format';
import { parseDockerignore, PatternMatcher } from '../sources/build/dockerignore';

export interface ContextSpec {
  /** The folder, or null for none (a Dockerfile from stdin). */
  dir: string | null;
  /** The Dockerfile's path as given (-f), or its text (from stdin). */
  dockerfile: { path: string } | { text: string };
}

export interface PackedContext {
  /** Its path inside the tar. */
  dockerfile: string;
  outside: boolean;
  tar: AsyncIterable<Uint8Array>;
}

function header(name: string, type: '0' | '2' | '5', mode: number, size: number, mtime: number, link = ''): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const linkBytes = Buffer.from(link, 'utf8');
  const pax: Buffer[] = [];
  if (nameBytes.length > 100) pax.push(paxRecord('path', nameBytes));
  if (linkBytes.length > 100) pax.push(paxRecord('linkpath', linkBytes));
  if (size > MAX_OCTAL_11) pax.push(paxRecord('size', Buffer.from(String(size))));
  const main = encodeHeaderInto(Buffer.alloc(BLOCK), {
    name: nameBytes.length > 100 ? nameBytes.subarray(0, 100).toString('latin1') : nameBytes.toString('latin1'), mode, uid: 0, gid: 0,
    size: size > MAX_OCTAL_11 ? 0 : size, mtime: Math.max(0, Math.floor(mtime)), typeflag: type,
    linkname: linkBytes.length > 100 ? '' : linkBytes.toString('latin1'), devmajor: 0, devminor: 0,
  });
  if (pax.length === 0) return main;
  const data = Buffer.concat(pax);
  const paxHeader = encodeHeaderInto(Buffer.alloc(BLOCK), { name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0, typeflag: 'x', linkname: '', devmajor: 0, devminor: 0 });
  return Buffer.concat([paxHeader, data, Buffer.alloc(padding(data.length)), main]);
}

async function* fileEntry(name: string, path: string, mode: number, size: number, mtime: number): AsyncGenerator<Uint8Array> {
  yield header(name, '0', mode, size, mtime);
  let sent = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const c = chunk as Buffer;
    const take = c.subarray(0, Math.max(0, size - sent));
    sent += take.length;
    if (take.length) yield take;
  }
  if (sent < size) throw new Error(`${path} shrank while it was sent (${sent} of ${size} bytes)`);
  yield Buffer.alloc(padding(size));
}

/**
 * The entries under `rel`. An excluded directory is still walked when an exception may re-include
 * something in it; its header is sent only before the first entry that is (`pending`), as the
 * helper's extraction wants each parent before its children.
 */
async function* walk(root: string, rel: string, ignore: PatternMatcher, always: Set<string>, pending: Buffer[]): AsyncGenerator<Uint8Array> {
  const names = (await fs.readdir(rel ? join(root, rel) : root)).sort();
  const flush = function* (): Generator<Uint8Array> { while (pending.length) yield pending.shift()!; };
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name;
    const path = join(root, r);
    const st = await fs.lstat(path);
    const excluded = !always.has(r) && ignore.excludes(r);
    if (st.isDirectory()) {
      if (excluded && ignore.canSkipDir(r)) continue;
      const dirHeader = header(`${r}/`, '5', st.mode, 0, st.mtimeMs / 1000);
      if (excluded) {
        pending.push(dirHeader);
        yield* walk(root, r, ignore, always, pending);
        if (pending[pending.length - 1] === dirHeader) pending.pop(); // nothing below it was sent
        continue;
      }
      yield* flush();
      yield dirHeader;
      yield* walk(root, r, ignore, always, pending);
    } else if (excluded) {
      continue;
    } else if (st.isFile()) {
      yield* flush();
      yield* fileEntry(r, path, st.mode, st.size, st.mtimeMs / 1000);
    } else if (st.isSymbolicLink()) {
      yield* flush();
      yield header(r, '2', 0o777, 0, st.mtimeMs / 1000, await fs.readlink(path));
    }
    // Sockets, fifos and devices are not sent (docker's context tar skips them too).
  }
}

async function* tarOf(dir: string | null, ignore: PatternMatcher, always: Set<string>, extra: { name: string; text: Buffer } | null): AsyncGenerator<Uint8Array> {
  if (dir) yield* walk(dir, '', ignore, always, []);
  if (extra) {
    yield header(extra.name, '0', 0o644, extra.text.length, Date.now() / 1000);
    yield extra.text;
    yield Buffer.alloc(padding(extra.text.length));
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** Packs the context: the tar stream, and where the Dockerfile is in it. */
export async function packContext(spec: ContextSpec): Promise<PackedContext> {
  const dir = spec.dir === null ? null : resolve(spec.dir);
  if (dir !== null) {
    const st = await fs.stat(dir).catch(() => null);
    if (!st?.isDirectory()) throw new Error(`unable to prepare context: path "${spec.dir}" not found`);
  }
  const ignoreText = dir ? await fs.readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '') : '';
  const ignore = new PatternMatcher(parseDockerignore(ignoreText));
  let extra: { name: string; text: Buffer } | null = null;
  let dockerfile: string;
  if ('text' in spec.dockerfile) {
    dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
    extra = { name: dockerfile, text: Buffer.from(spec.dockerfile.text) };
  } else {
    const path = resolve(spec.dockerfile.path);
    const text = await fs.readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: ${err.code === 'ENOENT' ? `lstat ${path}: no such file or directory` : err.message}`);
    });
    const rel = dir ? relative(dir, path) : '';
    if (dir && rel && !rel.startsWith('..') && !rel.startsWith(sep)) dockerfile = rel.split(sep).join('/');
    else {
      dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
      extra = { name: dockerfile, text };
    }
  }
  const always = new Set([dockerfile, '.dockerignore']);
  return { dockerfile, outside: extra !== null, tar: tarOf(dir, ignore, always, extra) };
}
