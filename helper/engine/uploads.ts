// Bytes from outside the store reach the helper as a stream from the client, never as a path for
// root to open (a root helper that opened a client's path would read any file on the machine).
// A client opens an upload, writes chunks, ends it; the engine consumes it as a Readable.
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export class Upload {
  readonly stream = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  received = 0;
  ended = false;

  constructor(readonly token: string, readonly owner: object) {
    // An upload aborted before anyone consumes it must not become an uncaught 'error' that ends
    // the helper; a consumer attached later still sees the stream fail.
    this.stream.on('error', () => {});
  }

  /** Resolves when the consumer has room for more: flow control back to the client. */
  async write(data: Buffer): Promise<void> {
    if (this.ended) throw new StrataError(ErrorCode.BadRequest, 'upload already ended');
    this.received += data.length;
    if (!this.stream.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => { cleanup(); resolve(); };
        const onClose = () => { cleanup(); reject(new StrataError(ErrorCode.Cancelled, 'upload closed by its consumer')); };
        const cleanup = () => { this.stream.off('drain', onDrain); this.stream.off('close', onClose); };
        this.stream.on('drain', onDrain);
        this.stream.on('close', onClose);
      });
    }
  }

  end(): void {
    this.ended = true;
    this.stream.end();
  }

  abort(reason: string): void {
    this.ended = true;
    this.stream.destroy(new StrataError(ErrorCode.Cancelled, reason));
  }
}

export class Uploads {
  private readonly byToken = new Map<string, Upload>();

  open(owner: object): Upload {
    const upload = new Upload(randomBytes(16).toString('hex'), owner);
    this.byToken.set(upload.token, upload);
    upload.stream.on('close', () => this.byToken.delete(upload.token));
    return upload;
  }

  get(token: string, owner?: object): Upload {
    const u = this.byToken.get(token);
    // An upload belongs to the connection that opened it: another client cannot feed or steal it.
    if (!u || (owner && u.owner !== owner)) throw new StrataError(ErrorCode.NotFound, 'no such upload (it ended, or belongs to another connection)');
    return u;
  }

  abortOwnedBy(owner: object, reason: string): void {
    for (const u of this.byToken.values()) if (u.owner === owner) u.abort(reason);
  }
}
