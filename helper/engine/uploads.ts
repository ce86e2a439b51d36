// Bytes from outside the store reach the helper as a stream from the client, never as a path for
// root to open (a root helper that opened a client's path would read any file on the machine).
// A client opens an upload, sends its bytes (base64 in upload.write, or raw on a second socket
// connection: rpc/raw-upload.ts), ends it; the engine consumes it as a Readable.
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { UPLOAD_TOKEN_CHARS } from '../protocol/methods';

export class Upload {
  // Object mode: each chunk comes out as it went in. In byte mode a reader that falls behind gets
  // everything buffered joined into one new buffer at each read: a copy of the whole tar (~50 ms of
  // the helper's CPU per 200 MB, and the garbage). 64 chunks: ~4 MiB from a socket.
  readonly stream = new PassThrough({ objectMode: true, highWaterMark: 64 });
  received = 0;
  ended = false;
  private abortedWhy: string | undefined;
  /** Set once a raw stream feeds this upload: settles when it has delivered all it sent. */
  private rawDelivery: Promise<void> | undefined;

  constructor(readonly token: string, readonly owner: object) {
    // An upload aborted before anyone consumes it must not become an uncaught 'error' that ends
    // the helper; a consumer attached later still sees the stream fail.
    this.stream.on('error', () => {});
  }

  /** Why the upload was aborted, if it was. */
  get abortReason(): string | undefined {
    return this.abortedWhy;
  }

  get fedRaw(): boolean {
    return this.rawDelivery !== undefined;
  }

  /** Resolves when the consumer has room for more: flow control back to the client. */
  async write(data: Buffer): Promise<void> {
    if (this.ended) throw new StrataError(ErrorCode.BadRequest, this.abortedWhy ? `upload aborted: ${this.abortedWhy}` : 'upload already ended');
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

  /**
   * Hands the upload to one raw stream, whose `feed` writes into it. A second stream, or one
   * after the end, is refused: two writers would interleave their bytes into one tar.
   */
  feedRaw(feed: () => Promise<void>): Promise<void> {
    if (this.ended) throw new StrataError(ErrorCode.BadRequest, 'upload already ended');
    if (this.rawDelivery) throw new StrataError(ErrorCode.InUse, 'upload already fed by another raw stream');
    const delivery = feed();
    this.rawDelivery = delivery;
    delivery.catch(() => undefined);
    return delivery;
  }

  /**
   * upload.end. A raw stream may still be delivering (its socket and the JSON-RPC connection are
   * not ordered): wait for it. Then `size`, the byte count the client sent, must be what arrived:
   * a raw socket ends the same way whether its client finished or was killed mid-stream, so
   * without this check a truncated tar could be imported as if whole.
   */
  async finish(size?: number): Promise<number> {
    if (this.rawDelivery) await this.rawDelivery;
    if (this.abortedWhy) throw new StrataError(ErrorCode.Cancelled, `upload aborted: ${this.abortedWhy}`);
    if (size !== undefined && size !== this.received) {
      const why = size > this.received
        ? `upload truncated: received ${this.received} of ${size} bytes`
        : `upload longer than announced: received ${this.received} bytes, ${size} announced`;
      this.abort(why, ErrorCode.BadRequest);
      throw new StrataError(ErrorCode.BadRequest, why);
    }
    this.end();
    return this.received;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stream.end();
  }

  abort(reason: string, code: ErrorCode = ErrorCode.Cancelled): void {
    this.ended = true;
    this.abortedWhy ??= reason;
    this.stream.destroy(new StrataError(code, reason));
  }
}

export class Uploads {
  private readonly byToken = new Map<string, Upload>();

  open(owner: object): Upload {
    const upload = new Upload(randomBytes(UPLOAD_TOKEN_CHARS / 2).toString('hex'), owner);
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
