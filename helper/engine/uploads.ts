// Bytes from outside the store reach the helper as a stream from the client, never as a path for
// root to open (a root helper that opened a client's path would read any file on the machine).
// A client opens an upload, sends its bytes (base64 in upload.write, or raw on a second socket
// connection: rpc/raw-upload.ts), ends it; the engine consumes it as a Readable, or (an import of
// a plain tar) takes the raw socket itself for its native reader (RawHandoff).
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { UPLOAD_TOKEN_CHARS } from '../protocol/methods';
import type { RawSocketSource } from '../archive/native-import';

/**
 * An upload's raw socket, handed to a consumer that reads the bytes itself (an import's native
 * reader): then they never cross the helper's JavaScript. archive/native-import.ts says what each
 * member does; `take` stops Node reading the socket (takeSocket below).
 */
export type RawHandoff = RawSocketSource;

interface Offer {
  sock: Socket;
  rest: Buffer;
  deliver: () => Promise<void>;
}

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
  private settleRaw = { resolve: () => {}, reject: (_err: Error) => {} };
  /** A raw socket that has not started delivering: until `stream` is read, or claimRaw takes it. */
  private offer: Offer | null = null;
  private streamRead = false;
  /** A reader took the raw socket (RawHandoff.take): its bytes never went through `stream`. */
  socketTaken = false;
  /** A consumer waiting in claimRaw. */
  private claimer: ((h: RawHandoff | null) => void) | null = null;
  /** When a reader took the socket: settled by finish() (the count agreed) or abort(). */
  private confirm: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private readonly abortedP: Promise<never>;
  private rejectAborted: (err: Error) => void = () => {};

  constructor(readonly token: string, readonly owner: object) {
    // An upload aborted before anyone consumes it must not become an uncaught 'error' that ends
    // the helper; a consumer attached later still sees the stream fail.
    this.stream.on('error', () => {});
    this.abortedP = new Promise<never>((_, reject) => { this.rejectAborted = reject; });
    this.abortedP.catch(() => undefined);
    // The first read of `stream` starts an offered raw socket delivering into it.
    const read = this.stream._read.bind(this.stream);
    this.stream._read = (size: number) => {
      if (!this.streamRead) {
        this.streamRead = true;
        this.deliverOffer();
      }
      read(size);
    };
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
    this.answerClaimer(null); // bytes in upload.write: no raw socket for a claimer
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
   * A raw socket for this upload (rpc/raw-upload.ts), paused, with `rest` read after its header
   * line; `deliver` feeds its bytes (rest first) into `stream`. A consumer waiting in
   * claimRaw is offered it; otherwise it delivers once `stream` is read. Refused like feedRaw.
   * Settles as feedRaw's delivery does.
   */
  offerRaw(sock: Socket, rest: Buffer, deliver: () => Promise<void>): Promise<void> {
    const delivery = this.feedRaw(() => new Promise<void>((resolve, reject) => { this.settleRaw = { resolve, reject }; }));
    this.offer = { sock, rest, deliver };
    if (this.claimer) this.answerClaimer(this.handoff());
    else if (this.streamRead) this.deliverOffer();
    return delivery;
  }

  private deliverOffer(): void {
    const o = this.offer;
    if (!o) return;
    this.offer = null;
    o.deliver().then(() => this.settleRaw.resolve(), (err: Error) => this.settleRaw.reject(err));
  }

  private answerClaimer(h: RawHandoff | null): void {
    const c = this.claimer;
    this.claimer = null;
    c?.(h);
  }

  /**
   * The raw socket, for a consumer that reads it itself, once it comes; null when the bytes come
   * another way (upload.write, or an upload that ends with none) or `stream` has been read. To be
   * asked before reading `stream`.
   */
  claimRaw(): Promise<RawHandoff | null> {
    if (this.ended || this.streamRead || this.received > 0 || this.claimer || (this.rawDelivery && !this.offer)) return Promise.resolve(null);
    if (this.offer) return Promise.resolve(this.handoff());
    return new Promise((resolve) => { this.claimer = resolve; });
  }

  private handoff(): RawHandoff {
    const o = this.offer!;
    return {
      head: o.rest,
      take: () => {
        this.offer = null;
        this.socketTaken = true;
        return takeSocket(o.sock);
      },
      giveBack: () => this.deliverOffer(),
      ended: (total: number) => {
        const confirmed = new Promise<void>((resolve, reject) => { this.confirm = { resolve, reject }; });
        if (this.abortedWhy) this.confirm!.reject(new StrataError(ErrorCode.Cancelled, `upload aborted: ${this.abortedWhy}`));
        this.received = total;
        o.sock.destroy();
        this.settleRaw.resolve();
        return confirmed;
      },
      aborted: this.abortedP,
    };
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
    if (this.confirm) {
      this.confirm.resolve();
      // Nobody reads `stream` when a reader took the socket: its close ends the upload's life.
      this.stream.destroy();
    }
    return this.received;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.answerClaimer(null);
    this.stream.end();
  }

  abort(reason: string, code: ErrorCode = ErrorCode.Cancelled): void {
    this.ended = true;
    this.abortedWhy ??= reason;
    const err = new StrataError(code, reason);
    this.answerClaimer(null);
    this.rejectAborted(err);
    this.confirm?.reject(err);
    // As a delivering raw stream reports it (rpc/raw-upload.ts).
    this.settleRaw.reject(new StrataError(ErrorCode.Cancelled, `upload aborted: ${this.abortedWhy}`));
    this.offer?.sock.destroy();
    this.offer = null;
    this.stream.destroy(err);
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

/**
 * The socket's descriptor, for a child to read from, and whatever Node had already read of it:
 * reading here stops first, and nothing may start it again (Node would, on the next read()).
 * Node keeps no public way to do this; these are the internals every net.Socket has on Linux.
 */
function takeSocket(sock: Socket): { fd: number; more: Buffer } {
  const handle = (sock as unknown as { _handle: { fd: number; readStop(): number } | null })._handle;
  // A small upload can come whole with its end in the first read: Node has then closed the socket,
  // and every byte is in `head`.
  if (!handle && sock.readableEnded) return { fd: -1, more: Buffer.alloc(0) };
  if (!handle || handle.fd < 0) throw new StrataError(ErrorCode.Cancelled, 'the raw upload stream broke off before its end');
  handle.readStop();
  (sock as unknown as { _read: () => void })._read = () => {};
  const parts: Buffer[] = [];
  for (let chunk: Buffer | null; (chunk = sock.read() as Buffer | null) !== null; ) parts.push(chunk);
  return { fd: handle.fd, more: Buffer.concat(parts) };
}
