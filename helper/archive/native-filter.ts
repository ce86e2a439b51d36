// Running strata-fs as a filter from Node: its input written by the caller, its output read as a
// stream, its exit turned into an error; and asking once whether a command that needs a system
// library runs here. Shared by the push's gzip (distribution/native-gzip.ts) and the layer tar
// made and gzip'd in one process (reproduce-gzip.ts), which can also write a save's layer tar
// straight into the download's socket (nativeInto).
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { nativeTool } from '../native';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

const probes = new Map<string, Promise<boolean>>();

/** Whether `strata-fs ARGS` exits 0 with no input (a tool that needs a library exits 3 without it): asked once. */
export function nativeToolRuns(args: string[]): Promise<boolean> {
  const key = args.join('\0');
  let probe = probes.get(key);
  if (!probe) {
    probe = new Promise<boolean>((resolve) => {
      let proc;
      try {
        proc = spawn(nativeTool('strata-fs'), args, { stdio: ['ignore', 'ignore', 'ignore'] });
      } catch {
        return resolve(false);
      }
      proc.on('error', () => resolve(false));
      proc.on('close', (code) => resolve(code === 0));
    });
    probes.set(key, probe);
  }
  return probe;
}

/** Resolves when `w` can take more, or has gone (its error or close then speaks through the tool's exit). */
export function writable(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (w.destroyed) return resolve();
    const done = () => { w.off('drain', done); w.off('close', done); w.off('error', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
    w.on('error', done);
  });
}

/**
 * The output of `strata-fs ARGS`, its input written by `feed` (which ends it). A failing feed
 * fails the stream with its own error; a tool that exits other than 0 fails it with `failed`'s.
 */
export async function* nativeFilter(args: string[], feed: (stdin: Writable, stopped: () => boolean) => Promise<void>, failed: (code: number | null, stderr: string) => Error): AsyncGenerator<Buffer> {
  const proc = spawn(nativeTool('strata-fs'), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => proc.on('error', resolve));
  proc.stdin.on('error', () => undefined); // EPIPE once the tool is gone: its exit says why
  let stopped = false;
  let feedError: unknown = null;
  const feeding = feed(proc.stdin, () => stopped || proc.stdin.destroyed).catch((err: unknown) => {
    feedError = err;
    proc.kill();
  });
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) yield chunk;
    await feeding;
    if (feedError !== null) throw feedError;
    const code = await Promise.race([exited, spawnError]);
    if (code instanceof Error) throw new Error(`strata-fs ${args[0]}: ${code.message}`);
    if (code !== 0) throw failed(code, stderr.trim());
  } finally {
    stopped = true;
    if (proc.exitCode === null) proc.kill();
  }
}

/**
 * `strata-fs ARGS` writing its output straight into the descriptor `out` (a download's socket: the
 * bytes then never cross the helper), its input written by `feed`. Resolves when it exits 0;
 * rejects with the feed's error, or `failed`'s when it exits otherwise; `signal` kills it.
 */
export async function nativeInto(args: string[], out: number, feed: (stdin: Writable, stopped: () => boolean) => Promise<void>, failed: (code: number | null, stderr: string) => Error, signal?: AbortSignal): Promise<void> {
  const cancelled = () => new StrataError(ErrorCode.Cancelled, `strata-fs ${args[0]}: cancelled`);
  if (signal?.aborted) throw cancelled();
  const proc = spawn(nativeTool('strata-fs'), args, { stdio: ['pipe', out, 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString('utf8'); });
  const exited = new Promise<number | Error | null>((resolve) => {
    proc.on('close', (code) => resolve(code));
    proc.on('error', (err) => resolve(new Error(`strata-fs ${args[0]}: ${err.message}`)));
  });
  const kill = () => proc.kill();
  signal?.addEventListener('abort', kill, { once: true });
  proc.stdin!.on('error', () => undefined); // EPIPE once the tool is gone: its exit says why
  let feedError: unknown = null;
  const feeding = feed(proc.stdin!, () => proc.stdin!.destroyed).catch((err: unknown) => {
    feedError = err;
    proc.kill();
  });
  try {
    const code = await exited;
    await feeding;
    if (feedError !== null) throw feedError;
    if (signal?.aborted) throw cancelled();
    if (code instanceof Error) throw code;
    if (code !== 0) throw failed(code, stderr.trim());
  } finally {
    signal?.removeEventListener('abort', kill);
    if (proc.exitCode === null) proc.kill();
  }
}
