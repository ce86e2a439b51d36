// A push's gzip made by `strata-fs gzip` (archive/native/gzip.c: libdeflate, 1 MiB members end to
// end) when the system has libdeflate: half the CPU of zlib's deflate for the same level, and it
// runs in a process of its own, beside the helper's work of making the tar and sending the blob.
// Without the library the push gzips in Node (parallel-gzip.ts); either is a valid gzip, and the
// blob's digest is remembered per layer, so which one made it never matters to a later push.
import { nativeFilter, nativeToolRuns, writable } from '../archive/native-filter';

/** Whether `strata-fs gzip` runs here (it exits 3 at once without libdeflate): asked once. */
export function nativeGzipAvailable(): Promise<boolean> {
  return nativeToolRuns(['gzip', '1']);
}

/** The gzip of `source`, made by `strata-fs gzip LEVEL`; a failing source fails it with its own error. */
export function nativeGzip(source: AsyncIterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  return nativeFilter(['gzip', String(level)], async (stdin, stopped) => {
    for await (const chunk of source) {
      if (stopped()) return;
      if (!stdin.write(chunk)) await writable(stdin);
    }
    stdin.end();
  }, (code, stderr) => new Error(`strata-fs gzip exited ${code}: ${stderr}`));
}
