// A raw upload connection (protocol/raw-upload.ts): after its header line, the socket's bytes go
// into the upload as they are, with backpressure. The upload ends only when its owner's upload.end
// arrives on the JSON-RPC connection: a raw socket ends the same way whether its client finished
// or was killed, so the end and the byte count come from the connection that knows.
//
// The token is the capability: 128 random bits that upload.begin hands only to the connection
// that opened the upload. Whoever can reach this socket is root-equivalent anyway; the token
// keeps one client from feeding (corrupting) another's upload by accident or by guess.
import type { Socket } from 'node:net';
import type { Engine } from '../engine';
import type { Upload } from '../engine/uploads';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { RawHeader } from '../protocol/raw-upload';
import type { Logger } from './connection';

/** Takes over `sock`, paused, whose header line socket.ts has read (`rest`: the bytes after it). */
export function serveRawUpload(engine: Engine, sock: Socket, header: Exclude<RawHeader, { kind: 'incomplete' }>, rest: Buffer, log: Logger): void {
  const refuse = (why: string) => {
    log(`raw upload refused: ${why}`);
    sock.destroy();
  };
  if (header.kind === 'refused') return refuse(header.reason);
  attach(engine, sock, header.token, rest, log, refuse);
}

function attach(engine: Engine, sock: Socket, token: string, rest: Buffer, log: Logger, refuse: (why: string) => void): void {
  const shown = `${token.slice(0, 8)}…`;
  let upload: Upload;
  try {
    // No owner check here: holding the token is what lets this stream in.
    upload = engine.uploads.get(token);
  } catch {
    return refuse(`no upload has the token ${shown}`);
  }
  try {
    const started = Date.now();
    // Refuses a second stream or an ended upload: two writers would interleave into one tar.
    // Offered: an import of a plain tar takes the socket itself (engine/uploads.ts, RawHandoff);
    // otherwise its bytes go into the upload once the upload is read.
    void upload.offerRaw(sock, rest, () => deliver(sock, rest, upload)).then(
      () => log(`raw upload ${shown}: ${upload.received} bytes in ${Date.now() - started} ms${upload.socketTaken ? ', read by the import\'s native reader' : ''}`),
      (err: Error) => log(`raw upload ${shown} failed: ${err.message}`),
    );
  } catch (err) {
    return refuse(`upload ${shown}: ${(err as Error).message}`);
  }
  // The upload was aborted (its JSON-RPC connection closed, upload.abort, the import failed):
  // nobody will read what this socket still sends.
  upload.stream.once('close', () => sock.destroy());
}

/**
 * `rest` (read with the header line), then every byte of the socket, into the upload; settles once
 * the client's end has been read. The socket may have ended (and been closed) while its offer
 * waited: a small upload comes whole with its end in the first read, and is all in `rest`.
 */
async function deliver(sock: Socket, rest: Buffer, upload: Upload): Promise<void> {
  try {
    if (rest.length) await upload.write(rest);
    for await (const chunk of sock) await upload.write(chunk as Buffer);
  } catch (err) {
    // Aborted from elsewhere (the reason says where), or a socket reset or closed before its
    // end: what arrived is not the whole stream.
    const why = upload.abortReason !== undefined
      ? `upload aborted: ${upload.abortReason}`
      : `the raw upload stream broke off after ${upload.received} bytes: ${(err as Error).message}`;
    upload.abort(why);
    sock.destroy();
    throw new StrataError(ErrorCode.Cancelled, why);
  }
}
