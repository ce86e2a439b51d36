// The helper as a service: JSON-RPC on a unix socket (mode 0660, so a group can be given access;
// whoever can talk to it is root-equivalent, like Docker's socket). Only one helper serves a
// store (the store lock), so a socket file left by a dead helper can be replaced safely.
// A connection that starts with "STRATA-UPLOAD " is a raw upload instead (rpc/raw-upload.ts).
import { promises as fs } from 'node:fs';
import net from 'node:net';
import type { Engine } from '../engine';
import { parseRawUploadHeader, sniffConnection, type RawHeader } from '../protocol/raw-upload';
import { serveConnection, type Logger } from './connection';
import { connectionGone } from './memory';
import { serveRawUpload } from './raw-upload';

export interface SocketServer {
  connections(): number;
  close(): Promise<void>;
}

/** What a new connection turned out to be, from its first bytes. */
export type Opening =
  | { kind: 'rpc'; head: Buffer }
  | { kind: 'raw'; header: Exclude<RawHeader, { kind: 'incomplete' }>; rest: Buffer };

/**
 * Reads a new connection's first bytes until they tell JSON-RPC from a raw upload, and for an
 * upload until its header line is whole or refused (at most 47 bytes). A JSON-RPC client
 * ("Content-Length: ...") is told apart at its first byte, so it waits for nothing more. The
 * socket is then paused, and given on with what was read.
 */
function sniff(sock: net.Socket, decided: (opening: Opening) => void, log: Logger): void {
  let head: Buffer = Buffer.alloc(0);
  let raw = false;
  const onData = (chunk: Buffer) => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const kind = sniffConnection(head);
    if (kind === 'undecided') return;
    raw = kind === 'raw';
    const header = raw ? parseRawUploadHeader(head) : null;
    if (header?.kind === 'incomplete') return;
    sock.off('data', onData);
    sock.off('end', onEnd);
    sock.pause();
    if (header) decided({ kind: 'raw', header, rest: header.kind === 'ok' ? head.subarray(header.length) : Buffer.alloc(0) });
    else decided({ kind: 'rpc', head });
  };
  const onEnd = () => {
    if (raw) log('raw upload refused: the connection ended before its header line');
    // Ended while its bytes were still a piece of "STRATA-UPLOAD ": neither a message nor an upload.
    else if (head.length > 0) log(`closing a connection: it ended after ${head.length} bytes that are neither JSON-RPC nor a raw upload`);
    sock.destroy();
  };
  sock.on('data', onData);
  sock.on('end', onEnd);
}

export async function listenOnSocket(engine: Engine, path: string, log: Logger): Promise<SocketServer> {
  await fs.rm(path, { force: true });
  const open = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    open.add(sock);
    sock.once('close', () => {
      open.delete(sock);
      connectionGone();
    });
    // A reset from a client must not become an uncaught 'error' in the helper.
    sock.on('error', () => undefined);
    sniff(sock, (opening) => {
      if (opening.kind === 'raw') return serveRawUpload(engine, sock, opening.header, opening.rest, log);
      // Put the sniffed bytes back: the JSON-RPC reader sees the stream from its first byte.
      sock.unshift(opening.head);
      serveConnection(engine, sock, sock, log);
    }, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await fs.chmod(path, 0o660);
  return {
    connections: () => open.size,
    // server.close() alone waits for every client to hang up: a stopping helper hangs up on them.
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const sock of open) sock.destroy();
    }),
  };
}
