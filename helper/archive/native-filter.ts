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

type Feed = (stdin: Writable, stopped: () => boolean) => Promise<void>;
type Failed = (code: number | null, stderr: string) => Error;

/**
 * `strata-fs ARGS` started with its stdout as given, its stdin written by `feed` (told to stop once
 * `stopped` says so or the tool is gone). `outcome` waits for its exit and throws what went
 * wrong: the feed's own error (the tool is killed), a failed spawn, or `failed`'s for an exit
 * other than 0.
 */
function startTool(args: string[], stdout: 'pipe' | number, feed: Feed, failed: Failed, stopped: () => boolean = () => false) {
  const proc = spawn(nativeTool('strata-fs'), args, { stdio: ['pipe', stdout, 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString('utf8'); });
  const exited = new Promise<number | Error | null>((resolve) => {
    proc.on('close', (code) => resolve(code));
    proc.on('error', (err) => resolve(new Error(`strata-fs ${args[0]}: ${err.message}`)));
  });
  proc.stdin!.on('error', () => undefined); // EPIPE once the tool is gone: its exit says why
  let feedError: unknown = null;
  const feeding = feed(proc.stdin!, () => stopped() || proc.stdin!.destroyed).catch((err: unknown) => {
    feedError = err;
    proc.kill();
  });
  const outcome = async (): Promise<void> => {
    const code = await exited;
    await feeding;
    if (feedError !== null) throw feedError;
    if (code instanceof Error) throw code;
    if (code !== 0) throw failed(code, stderr.trim());
  };
  return { proc, outcome };
}

/**
 * The output of `strata-fs ARGS`, its input written by `feed` (which ends it). A failing feed
 * fails the stream with its own error; a tool that exits other than 0 fails it with `failed`'s.
 */
export async function* nativeFilter(args: string[], feed: Feed, failed: Failed): AsyncGenerator<Buffer> {
  let stopped = false;
  const { proc, outcome } = startTool(args, 'pipe', feed, failed, () => stopped);
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) yield chunk;
    await outcome();
  } finally {
    stopped = true;
    if (proc.exitCode === null) proc.kill();
  }
}

/**
 * `strata-fs ARGS` writing its output straight into the descriptor `out` (a download's socket: the
 * bytes then never cross the helper), its input written by `feed`. Resolves when it exits 0;
 * rejects as nativeFilter's stream does, or as cancelled once `signal` has killed it.
 */
export async function nativeInto(args: string[], out: number, feed: Feed, failed: Failed, signal?: AbortSignal): Promise<void> {
  const cancelled = () => new StrataError(ErrorCode.Cancelled, `strata-fs ${args[0]}: cancelled`);
  if (signal?.aborted) throw cancelled();
  const { proc, outcome } = startTool(args, out, feed, failed);
  const kill = () => proc.kill();
  signal?.addEventListener('abort', kill, { once: true });
  try {
    await outcome().catch((err: unknown) => { throw signal?.aborted ? cancelled() : err; });
    if (signal?.aborted) throw cancelled();
  } finally {
    signal?.removeEventListener('abort', kill);
    if (proc.exitCode === null) proc.kill();
  }
}
