// The CLI's upload of a regular file (helper/cli/direct-source.ts): its first megabyte read here,
// the rest sent into the channel's socket by `strata-fs send` (sendfile). The bytes must arrive
// whole and in order behind what this process wrote, from the file's current offset; a peer that
// goes away must fail the send with words, never hang it; a pipe is refused by the sender.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directSource } from '../../helper/cli/direct-source';

/** A unix socket server whose one connection is handed to `onConn`, and a client socket to it. */
async function socketPair(dir: string, onConn: (s: Socket) => void, name = 'sock'): Promise<{ client: Socket; close: () => void }> {
  const path = join(dir, name);
  const server = createServer(onConn);
  await new Promise<void>((r) => server.listen(path, r));
  const client = connect(path);
  await new Promise<void>((r, j) => { client.once('connect', r); client.once('error', j); });
  return { client, close: () => server.close() };
}

function written(sock: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sock.write(data, (err) => (err ? reject(err) : resolve())));
}

test('a file is sent whole from its current offset, behind the bytes written before it, through a full socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-direct-'));
  try {
    const file = join(dir, 'data');
    const data = randomBytes(6 * 1024 * 1024 + 123);
    writeFileSync(file, data);
    const fd = openSync(file, 'r');
    readSync(fd, Buffer.alloc(100), 0, 100, null); // already read past: the input is what is left
    const chunks: Buffer[] = [];
    let received!: Promise<Buffer>;
    let peer!: Socket;
    const { client, close } = await socketPair(dir, (s) => {
      // Nothing read for a while: the socket fills, and the sender must wait for room.
      s.pause();
      peer = s;
      s.on('data', (b: Buffer) => chunks.push(b));
      received = new Promise((resolve) => s.on('end', () => resolve(Buffer.concat(chunks))));
    });
    const src = directSource(fd, file, true);
    const first = await src.first();
    setTimeout(() => peer.resume(), 300);
    await written(client, Buffer.concat([Buffer.from('HEAD\n'), first]));
    const rest = await src.sendRest(client);
    assert.equal(first.length + rest, data.length - 100);
    client.end();
    close();
    const got = await received;
    assert.equal(got.subarray(0, 5).toString(), 'HEAD\n');
    assert.ok(got.subarray(5).equals(data.subarray(100)), 'the bytes arrive whole and in order');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a peer that closes mid-way fails the send with the error named, not a hang; a pipe is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-direct-'));
  try {
    const file = join(dir, 'data');
    writeFileSync(file, randomBytes(32 * 1024 * 1024));
    const { client, close } = await socketPair(dir, (s) => {
      let n = 0;
      s.on('data', (b: Buffer) => { n += b.length; if (n > 2 * 1024 * 1024) s.destroy(); });
    });
    client.on('error', () => undefined);
    const src = directSource(openSync(file, 'r'), file, true);
    await written(client, Buffer.from(await src.first()));
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, j) => { timer = setTimeout(() => j(new Error('still sending 20 s after the peer closed')), 20_000); });
    await assert.rejects(Promise.race([src.sendRest(client), hung]), new RegExp(`sending ${file}: sendfile stdout: (Broken pipe|Connection reset by peer)`));
    clearTimeout(timer);
    client.destroy();
    close();

    // A pipe where a regular file should be: refused at once, nothing sent.
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const rw = openSync(fifo, 'r+');
    const pair = await socketPair(dir, () => undefined, 'sock2');
    await assert.rejects(directSource(rw, fifo, false).sendRest(pair.client), new RegExp(`sending ${fifo}: stdin: not a regular file`));
    pair.client.destroy();
    pair.close();
    closeSync(rw);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
