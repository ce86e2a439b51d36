// The CLI's side of moving bytes to and from the helper: uploads (import, load, build's context) and
// downloads (save, export). The helper never opens a path the user names, so this process reads and
// writes the files, as the user who ran the command; the bytes travel raw on a second connection to
// the helper's socket (as base64 in JSON-RPC they cost ~3 s per 200 MB to encode, check, parse and
// decode): protocol/raw-upload.ts and the download's mirror of it.
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, promises as fs, writevSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import type { StrataClient } from '../protocol/client';
import type { CommandContext } from './command';
import { rawChannelOpener } from './connect';
import { directSource, osWords, readOrSay, SourceError } from './direct-source';

/**
 * The bytes of `file` (stdin for `-` or none). The file is opened before the helper is asked, so
 * a typo fails fast with the OS's words (as docker's "open FILE: no such file or directory"). A
 * regular file (stdin too, when redirected from one) is sent by the kernel (direct-source.ts).
 */
export async function openSource(file: string | undefined): Promise<AsyncIterable<Uint8Array>> {
  if (file === undefined || file === '-') return isRegular(0) ? directSource(0, '-', false) : readOrSay(process.stdin, '-');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new Error(`open ${file}: ${osWords(err as NodeJS.ErrnoException)}`);
  }
  if (isRegular(fd)) return directSource(fd, file, true);
  // A pipe or a device: read here. 1 MiB reads: fewer, bigger socket writes (this process shares
  // the CPUs with the helper and the layer writer; with 64 KiB reads an import took ~0.3 s longer).
  return readOrSay(createReadStream('', { fd, highWaterMark: 1024 * 1024 }), file);
}

function isRegular(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * Sends `source` as an upload to the request `start` makes with the upload's token, and returns
 * that request's result. A failure to read the input is the error to show (the helper only saw its
 * upload cut short); otherwise the request's own (a failed request also ends the upload, which then
 * fails too).
 */
export async function uploadTo<T>(ctx: CommandContext, client: StrataClient, source: AsyncIterable<Uint8Array>, start: (token: string) => Promise<T>): Promise<T> {
  const { token } = await client.request('upload.begin', {});
  const result = start(token);
  const sent = client.upload(token, source, { openRawChannel: rawChannelOpener(ctx.root) });
  const [done, uploaded] = await Promise.allSettled([result, sent]);
  if (uploaded.status === 'rejected' && uploaded.reason instanceof SourceError) throw uploaded.reason;
  if (done.status === 'rejected') throw done.reason;
  if (uploaded.status === 'rejected') throw uploaded.reason;
  return done.value;
}

type Filling = (client: StrataClient, token: string) => Promise<{ size: number }>;

// What a download gathers before it writes to its file.
const GATHER = 1024 * 1024;

/**
 * A new file that this process writes with plain blocking writes, a megabyte gathered at a time:
 * through createWriteStream a save of the 204 MB minbase image was 3,200 writes of 64 KB, each a
 * trip through libuv's thread pool (the CLI's CPU for that save: ~1 s). A regular file's writes
 * land in the page cache, so blocking on them costs less than handing them to another thread.
 */
class FileSink extends Writable {
  private gathered: Buffer[] = [];
  private size = 0;
  private fd: number | null;

  constructor(path: string) {
    super({ highWaterMark: 2 * GATHER });
    this.fd = openSync(path, 'wx', 0o644);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.gathered.push(chunk);
    this.size += chunk.length;
    done(this.size >= GATHER ? this.flush() : null);
  }

  override _final(done: (err?: Error | null) => void): void {
    done(this.flush() ?? this.close());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.close();
    done(err);
  }

  private flush(): Error | null {
    try {
      let left = this.gathered;
      while (left.length) {
        let wrote = writevSync(this.fd!, left);
        // A short write (a full disk says so on the next one): go on from where it stopped.
        while (left.length && wrote >= left[0].length) wrote -= left.shift()!.length;
        if (left.length && wrote > 0) left[0] = left[0].subarray(wrote);
      }
      this.gathered = [];
      this.size = 0;
      return null;
    } catch (err) {
      return err as Error;
    }
  }

  private close(): Error | null {
    if (this.fd === null) return null;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
      return null;
    } catch (err) {
      return err as Error;
    }
  }
}

/**
 * A download that `fill` (a request given its token) fills, written to `file` through a temporary
 * name beside it, renamed into place only once the download is whole (a failed save leaves no half
 * an archive under the name); into `file` itself when it is not a regular file (a device, a FIFO);
 * or to stdout.
 */
export async function receive(ctx: CommandContext, file: string | undefined, verb: string, fill: Filling): Promise<void> {
  if (file === undefined && process.stdout.isTTY) {
    throw new Error(`cowardly refusing to write an archive to a terminal: use -o FILE, or redirect (strata ${verb} ... > FILE)`);
  }
  // A name that is not a regular file (-o /dev/null, a FIFO, /dev/stdout) is written into as it is:
  // a rename onto it would replace the machine's /dev/null with a regular file (it did, once, as root).
  const intoItself = file !== undefined && (await fs.stat(file).then((st) => !st.isFile(), () => false));
  const client = await ctx.client();
  const { token } = await client.request('download.begin', {});
  const temp = file === undefined || intoItself ? undefined : join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.part`);
  let sink: NodeJS.WritableStream;
  try {
    sink = file === undefined ? process.stdout : temp ? new FileSink(temp) : createWriteStream(file, { flags: 'w' });
    if (file !== undefined && !temp) {
      await new Promise<void>((resolve, reject) => {
        sink.once('open', () => resolve());
        sink.once('error', reject);
      });
    }
  } catch (err) {
    throw new Error(`open ${file}: ${(err as Error).message}`);
  }
  try {
    await client.download(token, fill(client, token), sink, rawChannelOpener(ctx.root));
    if (file !== undefined) await new Promise<void>((resolve, reject) => { sink.once('error', reject); sink.end(() => resolve()); });
    if (temp !== undefined) await fs.rename(temp, file!);
  } catch (err) {
    if (file !== undefined) (sink as NodeJS.WritableStream & { destroy(): void }).destroy();
    if (temp !== undefined) await fs.rm(temp, { force: true });
    throw err;
  }
}
