// The helper as a service: JSON-RPC on a unix socket (mode 0660, so a group can be given access;
// whoever can talk to it is root-equivalent, like Docker's socket). Only one helper serves a
// store (the store lock), so a socket file left by a dead helper can be replaced safely.
import { promises as fs } from 'node:fs';
import net from 'node:net';
import type { Engine } from '../engine';
import { serveConnection, type Logger } from './connection';

export interface SocketServer {
  connections(): number;
  close(): Promise<void>;
}

export async function listenOnSocket(engine: Engine, path: string, log: Logger): Promise<SocketServer> {
  await fs.rm(path, { force: true });
  let open = 0;
  const server = net.createServer((sock) => {
    open++;
    serveConnection(engine, sock, sock, log, () => { open--; });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await fs.chmod(path, 0o660);
  return {
    connections: () => open,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
