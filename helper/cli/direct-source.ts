// A regular file as an upload's source that the kernel sends: the first megabyte is read here (it
// goes with the raw channel's header line), the rest goes from the page cache into the channel's
// socket by `strata-fs send` (sendfile), never through this process's heap. Streaming 204 MB
// through Node cost this process ~0.45 s of CPU (file reads on the thread pool, socket writes),
// on two CPUs that an import shares with the helper and its layer writer.
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, readSync } from 'node:fs';
import type { DirectSource, RawChannel } from '../protocol/client';
import { nativeTool } from '../native';

const FIRST_BYTES = 1024 * 1024;

/** Reading the input failed (not the helper, nor the way to it): the error to show. */
export class SourceError extends Error {}

/** An OS error as the OS says it ("no such file or directory"), without Node's prefix. */
export function osWords(err: NodeJS.ErrnoException): string {
  const m = /^[A-Z]+: ([^,]+)/.exec(err.message);
  return m ? m[1] : err.message;
}

export async function* readOrSay(source: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    throw new SourceError(`read ${name}: ${osWords(err as NodeJS.ErrnoException)}`);
  }
}

/**
 * The bytes of the regular file open as `fd`, from its current offset (stdin redirected from a file
 * may have been read part way: what is left is the input). `name` is what errors call it; `own`:
 * the fd is closed once the bytes are sent.
 */
export function directSource(fd: number, name: string, own: boolean): DirectSource {
  const done = () => {
    if (own) closeSync(fd);
  };
  return {
    async first() {
      const buf = Buffer.allocUnsafe(FIRST_BYTES);
      try {
        return buf.subarray(0, readSync(fd, buf, 0, FIRST_BYTES, null));
      } catch (err) {
        done();
        throw new SourceError(`read ${name}: ${osWords(err as NodeJS.ErrnoException)}`);
      }
    },
    sendRest: (channel: RawChannel) =>
      new Promise<number>((resolve, reject) => {
        const proc = spawn(nativeTool('strata-fs'), ['send'], { stdio: [fd, channel as unknown as NodeJS.WritableStream & { fd?: number }, 'pipe'] as never });
        let stderr = '';
        proc.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
        proc.on('error', (err) => { done(); reject(new Error(`sending ${name}: ${err.message}`)); });
        proc.on('close', (code, signal) => {
          done();
          const sent = /^sent (\d+)\n$/.exec(stderr);
          if (code === 0 && sent) resolve(Number(sent[1]));
          else reject(new Error(`sending ${name}: ${stderr.trim().replace(/^strata-fs: /, '') || `the sender ended by ${signal ?? `exit ${code}`}`}`));
        });
      }),
    [Symbol.asyncIterator]: () => readOrSay(createReadStream('', { fd, autoClose: own, highWaterMark: FIRST_BYTES }), name)[Symbol.asyncIterator](),
  };
}
