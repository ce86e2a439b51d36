// A raw download connection (protocol/raw-download.ts): after its header line, the helper writes
// the download's bytes to the socket and closes it. The token is the capability, as for uploads:
// 128 random bits that download.begin handed only to the connection that opened the download.
import type { Socket } from 'node:net';
import type { Engine } from '../engine';
import type { RawHeader } from '../protocol/raw-upload';
import type { Logger } from './connection';

/** Takes over `sock`, paused, whose header line socket.ts has read. */
export function serveRawDownload(engine: Engine, sock: Socket, header: Exclude<RawHeader, { kind: 'incomplete' }>, log: Logger): void {
  const refuse = (why: string) => {
    log(`raw download refused: ${why}`);
    sock.destroy();
  };
  if (header.kind === 'refused') return refuse(header.reason);
  const shown = `${header.token.slice(0, 8)}…`;
  try {
    engine.downloads.get(header.token).attach(sock);
  } catch (err) {
    return refuse(`download ${shown}: ${(err as Error).message}`);
  }
  // The client sends nothing more; its end (or anything it sends) is read and dropped, so that
  // its going away is seen.
  sock.on('data', () => undefined);
  sock.resume();
}
