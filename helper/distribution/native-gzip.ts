// A push's gzip made by `strata-fs gzip` (archive/native/gzip.c: libdeflate, 1 MiB members end to
// end) when the system has libdeflate: half the CPU of zlib's deflate for the same level, and it
// runs in a process of its own, beside the helper's work of making the tar and sending the blob.
// Without the library the push gzips in Node (parallel-gzip.ts); either is a valid gzip, and the
// blob's digest is remembered per layer, so which one made it never matters to a later push.
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { nativeTool } from '../native';

let available: Promise<boolean> | null = null;

/** Whether `strata-fs gzip` runs here (it exits 3 at once without libdeflate): asked once. */
export function nativeGzipAvailable(): Promise<boolean> {
  available ??= new Promise<boolean>((resolve) => {
    let proc;
    try {
      proc = spawn(nativeTool('strata-fs'), ['gzip', '1'], { stdio: ['ignore', 'ignore', 'ignore'] });
    } catch {
      return resolve(false);
    }
    proc.on('error', () => resolve(false));
    proc.on('close', (code) => resolve(code === 0));
  });
  return available;
}

/** Resolves when `w` can take more, or has gone (its error or close then speaks through the tool's exit). */
function writable(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (w.destroyed) return resolve();
    const done = () => { w.off('drain', done); w.off('close', done); w.off('error', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
    w.on('error', done);
  });
}

/** The gzip of `source`, made by `strata-fs gzip LEVEL`; a failing source fails it with its own error. */
export async function* nativeGzip(source: AsyncIterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  const proc = spawn(nativeTool('strata-fs'), ['gzip', String(level)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => proc.on('error', resolve));
  proc.stdin.on('error', () => undefined); // EPIPE once the tool is gone: its exit says why
  let stopped = false;
  let sourceError: unknown = null;
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        if (stopped || proc.stdin.destroyed) return;
        if (!proc.stdin.write(chunk)) await writable(proc.stdin);
      }
      proc.stdin.end();
    } catch (err) {
      sourceError = err;
      proc.kill();
    }
  })();
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) yield chunk;
    await feed;
    if (sourceError !== null) throw sourceError;
    const code = await Promise.race([exited, spawnError]);
    if (code instanceof Error) throw new Error(`strata-fs gzip: ${code.message}`);
    if (code !== 0) throw new Error(`strata-fs gzip exited ${code}: ${stderr.trim()}`);
  } finally {
    stopped = true;
    if (proc.exitCode === null) proc.kill();
  }
}
