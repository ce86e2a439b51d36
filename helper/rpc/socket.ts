// The helper as a service: JSON-RPC on a unix socket (mode 0660, so a group can be given access;
// whoever can talk to it is root-equivalent, like Docker's socket). Only one helper serves a
// store (the store lock), so a socket file left by a dead helper can be replaced safely.
// A connection that starts with "STRATA-UPLOAD " is a raw upload instead (rpc/raw-upload.ts), one
// that starts with "STRATA-DOWNLOAD " a raw download (rpc/raw-download.ts).
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import type { Engine } from '../engine';
import { parseRawUploadHeader, sniffConnection, type RawHeader } from '../protocol/raw-upload';
import { parseRawDownloadHeader, sniffDownload } from '../protocol/raw-download';
import { serveConnection, type Logger } from './connection';
import { garbageLikely } from './memory';
import { serveRawUpload } from './raw-upload';
import { serveRawDownload } from './raw-download';

export interface SocketServer {
  connections(): number;
  close(): Promise<void>;
}

/** What a new connection turned out to be, from its first bytes. */
export type Opening =
  | { kind: 'rpc'; head: Buffer }
  | { kind: 'raw'; direction: 'upload' | 'download'; header: Exclude<RawHeader, { kind: 'incomplete' }>; rest: Buffer };

/** Upload, download, JSON-RPC, or not yet known, from a connection's first bytes. */
function kindOf(head: Buffer): 'upload' | 'download' | 'rpc' | 'undecided' {
  const up = sniffConnection(head);
  const down = sniffDownload(head);
  if (up === 'raw') return 'upload';
  if (down === 'raw') return 'download';
  return up === 'rpc' && down === 'rpc' ? 'rpc' : 'undecided';
}

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
    const kind = kindOf(head);
    if (kind === 'undecided') return;
    raw = kind !== 'rpc';
    const header = kind === 'upload' ? parseRawUploadHeader(head) : kind === 'download' ? parseRawDownloadHeader(head) : null;
    if (header?.kind === 'incomplete') return;
    sock.off('data', onData);
    sock.off('end', onEnd);
    sock.pause();
    if (header) decided({ kind: 'raw', direction: kind as 'upload' | 'download', header, rest: header.kind === 'ok' ? head.subarray(header.length) : Buffer.alloc(0) });
    else decided({ kind: 'rpc', head });
  };
  const onEnd = () => {
    if (raw) log('raw stream refused: the connection ended before its header line');
    // Ended while its bytes were still a piece of "STRATA-UPLOAD ": neither a message nor an upload.
    else if (head.length > 0) log(`closing a connection: it ended after ${head.length} bytes that are neither JSON-RPC nor a raw upload`);
    sock.destroy();
  };
  sock.on('data', onData);
  sock.on('end', onEnd);
}

/**
 * Listens on `path` with the socket's mode 0660 from the moment the path exists. bind() creates
 * the socket file with the process umask (0777 under umask 000), and a chmod after listen left a
 * window in which any local user could connect, and keep the connection after the chmod: under
 * umask 000 a non-root user read images.list on 15 of 15 starts (issue 14, defect 4). So the
 * socket is bound in a fresh directory of its own (mkdtemp makes it 0700 whatever the umask),
 * given its mode there, then renamed into place, which also replaces a dead helper's socket
 * without a moment when the path is missing. The umask is not changed instead: it is the whole
 * process's, and would apply to the files that other work creates meanwhile on other threads.
 */
async function listenPrivately(server: net.Server, path: string): Promise<void> {
  // A short name: a unix socket's path must fit in 108 bytes, and this one is bound first.
  const dir = await fs.mkdtemp(join(dirname(path), '.s-'));
  const staged = join(dir, 's');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(staged, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await fs.chmod(staged, 0o660);
    await fs.rename(staged, path);
  } catch (err) {
    server.close();
    throw new Error(`listen on ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function listenOnSocket(engine: Engine, path: string, log: Logger): Promise<SocketServer> {
  const open = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    open.add(sock);
    sock.once('close', () => {
      open.delete(sock);
      garbageLikely();
    });
    // A reset from a client must not become an uncaught 'error' in the helper.
    sock.on('error', () => undefined);
    sniff(sock, (opening) => {
      if (opening.kind === 'raw' && opening.direction === 'download') return serveRawDownload(engine, sock, opening.header, log);
      if (opening.kind === 'raw') return serveRawUpload(engine, sock, opening.header, opening.rest, log);
      // Put the sniffed bytes back: the JSON-RPC reader sees the stream from its first byte.
      sock.unshift(opening.head);
      serveConnection(engine, sock, sock, log);
    }, log);
  });
  await listenPrivately(server, path);
  return {
    connections: () => open.size,
    // server.close() alone waits for every client to hang up: a stopping helper hangs up on them.
    // The socket file goes too: the server was bound under its staged name, which it removes.
    close: () => new Promise<void>((resolve) => {
      server.close(() => void fs.rm(path, { force: true }).then(() => resolve(), () => resolve()));
      for (const sock of open) sock.destroy();
    }),
  };
}
