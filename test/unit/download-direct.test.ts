// A download's bytes written by another process straight into the client's connection
// (engine/downloads.ts, DirectBytes: a save's layer tar made by strata-fs): they arrive in their
// place between the helper's own bytes, however many of those were still queued; a writer that
// fails cuts the connection short and fails the download; an abort stops the writer at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectBytes } from '../../helper/distribution/archive-writer';
import { Downloads } from '../../helper/engine/downloads';

/** How the last writer ended: its exit code or the signal that killed it. */
let lastExit: number | string | null = null;

/** A process writing `script`'s output into `fd`; killed by `signal`; rejects unless it exits 0. */
function shellInto(script: string) {
  return (fd: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
    const proc = spawn('sh', ['-c', script], { stdio: ['ignore', fd, 'ignore'] });
    signal?.addEventListener('abort', () => proc.kill(), { once: true });
    proc.on('close', (code, sig) => {
      lastExit = code ?? sig;
      if (code === 0) resolve();
      else reject(new Error(`the writer exited ${code ?? sig}`));
    });
  });
}

/** Writes into the socket's descriptor until the kernel takes not one byte more: what it wrote. */
function fillKernelBuffer(sock: net.Socket): Buffer {
  const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
  let wrote = 0;
  // Smaller and smaller pieces: a socket that refuses 64 KB may still take a few bytes.
  for (const size of [64 * 1024, 4096, 1]) {
    const piece = Buffer.alloc(size, 'p');
    for (;;) {
      try {
        wrote += writeSync(fd, piece);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
    }
  }
  return Buffer.alloc(wrote, 'p');
}

/**
 * A download served on a fresh socket, read whole by a client: what it got, and the fill's outcome.
 * `full`: the socket's kernel buffer is filled first and the client starts reading only later, so
 * the download's first bytes wait in Node's own queue.
 */
async function download(parts: (Buffer | DirectBytes)[], during?: (downloads: Downloads, token: string) => void, full = false) {
  const dir = mkdtempSync(join(tmpdir(), 'strata-download-'));
  const owner = {};
  const downloads = new Downloads();
  const d = downloads.open(owner);
  let prefilled: Buffer = Buffer.alloc(0);
  let accepted: net.Socket | undefined;
  const server = net.createServer((sock) => {
    accepted = sock;
    if (full) prefilled = fillKernelBuffer(sock);
    d.attach(sock);
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 's'), resolve));
  let client: net.Socket | undefined;
  try {
    async function* source() { yield* parts; }
    const filled = downloads.fill(d.token, owner, async () => source());
    const connected = net.connect(join(dir, 's'));
    client = connected;
    if (full) {
      connected.pause();
      setTimeout(() => connected.resume(), 200);
    }
    const got: Buffer[] = [];
    const received = new Promise<Buffer>((resolve) => {
      client!.on('data', (c: Buffer) => got.push(c));
      client!.on('close', () => resolve(Buffer.concat(got)));
      client!.on('error', () => undefined);
    });
    during?.(downloads, d.token);
    const outcome = await filled.then((r) => r, (err: Error) => err);
    const bytes = await received;
    assert.ok(bytes.subarray(0, prefilled.length).equals(prefilled));
    return { bytes: bytes.subarray(prefilled.length), outcome };
  } finally {
    client?.destroy();
    accepted?.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a direct writer\'s bytes arrive in their place, after the megabytes still queued before them', async () => {
  const before = Buffer.alloc(3 * 1024 * 1024, 'a'); // more than a socket holds: Node still has some queued
  const { bytes, outcome } = await download([before, new DirectBytes(6, shellInto('printf middle')), Buffer.from('end')]);
  assert.deepEqual(outcome, { size: before.length + 6 + 3 });
  assert.equal(bytes.length, before.length + 9);
  assert.ok(bytes.subarray(0, before.length).equals(before));
  assert.equal(bytes.subarray(before.length).toString(), 'middleend');
});

test('a direct writer waits for bytes still in Node\'s queue (the socket was full): it never writes before them', async () => {
  const { bytes, outcome } = await download([Buffer.from('head'), new DirectBytes(6, shellInto('printf middle')), Buffer.from('end')], undefined, true);
  assert.deepEqual(outcome, { size: 13 });
  assert.equal(bytes.toString(), 'headmiddleend');
});

test('a direct writer that fails fails the download and cuts the connection: nothing after it is sent', async () => {
  const { bytes, outcome } = await download([Buffer.from('head'), new DirectBytes(10, shellInto('printf part; exit 4')), Buffer.from('never')]);
  assert.ok(outcome instanceof Error);
  assert.match(outcome.message, /the writer exited 4/);
  assert.equal(bytes.toString(), 'headpart');
});

test('an abort stops the direct writer at once', async () => {
  const { bytes, outcome } = await download([Buffer.from('head'), new DirectBytes(10, shellInto('exec sleep 60'))], (downloads, token) => {
    setTimeout(() => downloads.get(token).abort('the client gave up'), 300);
  });
  assert.ok(outcome instanceof Error);
  assert.match(outcome.message, /download aborted: the client gave up|the writer exited SIGTERM/);
  assert.equal(bytes.toString(), 'head');
  assert.equal(lastExit, 'SIGTERM', 'the writer (a minute\'s sleep) was killed, not waited for');
});
