// The outer tar of a saved archive (docker-archive, OCI layout): small JSON files, directories, and
// layer tars streamed in whole behind a header that gives their size first. Written as a stream,
// so an archive of any size costs a few buffers; a layer that does not deliver exactly the size its
// header promised fails the archive (a tar with a wrong length would shift every entry after it).
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { BLOCK, MAX_OCTAL_11, encodeHeaderInto, padding, paxRecord } from '../archive/tar-format';

export interface ArchiveEntry {
  /** The entry's name in the archive ('dir/' for a directory). */
  name: string;
  /** A file's bytes. */
  data?: Buffer;
  /**
   * A file streamed in: exactly `size` bytes (a layer's tar), opened only when its turn comes; `name`,
   * when given, replaces the entry's (a compressed blob is named by a digest known only once made).
   */
  open?: () => Promise<{ size: number; stream: AsyncIterable<Buffer>; name?: string; writeInto?: DirectBytes['writeInto'] }>;
}

/**
 * A stretch of the archive (a layer's tar) that another process writes straight into the
 * consumer's descriptor, given when the entry's opener can (`writeInto`) and the consumer asked
 * for it (writeArchiveDirect): a download's socket then gets the layer from strata-fs without the
 * helper reading it. `writeInto` resolves once exactly `size` bytes are written, else rejects.
 */
export class DirectBytes {
  constructor(readonly size: number, readonly writeInto: (fd: number, signal?: AbortSignal) => Promise<void>) {}
}

// Archive entries carry this time (Docker's save uses the image's; a fixed one keeps archives of
// the same images identical).
const MTIME = 0;

function header(name: string, size: number, dir: boolean): Buffer {
  const records: Buffer[] = [];
  if (Buffer.byteLength(name, 'latin1') > 100) records.push(paxRecord('path', Buffer.from(name, 'latin1')));
  if (size > MAX_OCTAL_11) records.push(paxRecord('size', Buffer.from(String(size))));
  const main = encodeHeaderInto(Buffer.alloc(BLOCK), {
    name: name.slice(0, 100), mode: dir ? 0o755 : 0o644, uid: 0, gid: 0, size: size > MAX_OCTAL_11 ? 0 : size,
    mtime: MTIME, typeflag: dir ? '5' : '0', linkname: '', devmajor: 0, devminor: 0,
  });
  if (records.length === 0) return main;
  const pax = Buffer.concat(records);
  const paxHeader = encodeHeaderInto(Buffer.alloc(BLOCK), {
    name: 'PaxHeaders/entry', mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: MTIME, typeflag: 'x', linkname: '', devmajor: 0, devminor: 0,
  });
  return Buffer.concat([paxHeader, pax, Buffer.alloc(padding(pax.length)), main]);
}

/** The archive's bytes: each entry in turn, then the two end blocks. */
export function writeArchive(entries: Iterable<ArchiveEntry>): AsyncGenerator<Buffer> {
  return archiveBytes(entries, false) as AsyncGenerator<Buffer>;
}

/** As writeArchive, with a DirectBytes in place of a layer's bytes where its opener can write them itself. */
export function writeArchiveDirect(entries: Iterable<ArchiveEntry>): AsyncGenerator<Buffer | DirectBytes> {
  return archiveBytes(entries, true);
}

async function* archiveBytes(entries: Iterable<ArchiveEntry>, direct: boolean): AsyncGenerator<Buffer | DirectBytes> {
  for (const e of entries) {
    if (e.name.endsWith('/')) {
      yield header(e.name, 0, true);
      continue;
    }
    if (e.data) {
      yield Buffer.concat([header(e.name, e.data.length, false), e.data, Buffer.alloc(padding(e.data.length))]);
      continue;
    }
    const { size, stream, name = e.name, writeInto } = await e.open!();
    yield header(name, size, false);
    if (direct && writeInto) {
      yield new DirectBytes(size, writeInto);
      yield Buffer.alloc(padding(size));
      continue;
    }
    let sent = 0;
    for await (const chunk of stream) {
      sent += chunk.length;
      if (sent > size) break;
      yield chunk;
    }
    if (sent !== size) throw new StrataError(ErrorCode.Internal, `${name}: ${sent > size ? 'more' : 'fewer'} bytes than the ${size} its header gives`);
    yield Buffer.alloc(padding(size));
  }
  yield Buffer.alloc(2 * BLOCK);
}
