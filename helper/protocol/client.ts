// The typed client both faces use (CLI and VS Code extension): requests checked against the
// method table at compile time, notifications by name, and uploads of a byte stream in chunks
// with a window, so a 200 MB tar flows without waiting a round trip per chunk.
// Transport-neutral: it wraps any vscode-jsonrpc MessageConnection.
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc';
import { errorCodeName } from './errors';
import { LongLived } from './long-lived';
import type { MethodName, NotificationName, Notifications, ParamsOf, ResultOf } from './methods';
import { rawUploadHeader } from './raw-upload';
import { rawDownloadHeader } from './raw-download';

export class StrataRequestError extends Error {
  constructor(readonly method: string, readonly code: number, message: string, readonly data?: { exitCode?: number }) {
    super(message);
    this.name = 'StrataRequestError';
  }
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

// The base64 path (the fallback: stdio and the --connect relay carry one byte stream). 1 MiB of
// data is 1,398,104 base64 characters: the most methods.ts lets one upload.write carry (1,400,000),
// well under MAX_MESSAGE_BYTES. Fewer, bigger messages: importing the 204 MB debootstrap tar took
// ~10% less than with 512 KiB (a window of 4 did as well as 8). It costs per byte, on the helper's
// one thread ahead of the import (CPU profile, per 204 MB): the base64 check ~0.3 s (~1.2 s with
// the anchored pattern it replaced, see methods.ts), JSON.parse ~0.45 s, UTF-8 decoding ~0.25 s,
// base64 decoding and GC; the client ~1 s encoding. Hence the raw channel (protocol/raw-upload.ts)
// whenever the client can open a second connection: the helper's thread then mostly waits for the
// layer writer. On a fresh ext4, helper running, medians: base64 2.5 s, raw 1.05 s (extractLayer
// fed from the file: 0.6 s).
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
const UPLOAD_WINDOW = 8;

/** A second connection to the helper's socket (a net.Socket): all a raw upload needs of it. */
export type RawChannel = NodeJS.WritableStream & { resume(): unknown; destroy(error?: Error): unknown };
/** The same, read from too: a raw download. */
export type RawDuplex = NodeJS.ReadWriteStream & { destroy(error?: Error): unknown };

/**
 * An upload's source whose bytes after its first ones another process can write straight into the
 * raw channel's socket (the CLI hands a regular file to `strata-fs send`: sendfile, the bytes
 * never in Node's heap). Iterated instead where there is no raw channel (base64).
 */
export interface DirectSource extends AsyncIterable<Uint8Array> {
  /** The first bytes, sent with the header line: the helper tells a plain tar from them. */
  first(): Promise<Uint8Array>;
  /** Writes every byte after `first` into the channel's socket; resolves with their count. */
  sendRest(channel: RawChannel): Promise<number>;
}

function isDirect(source: AsyncIterable<Uint8Array>): source is DirectSource {
  return typeof (source as Partial<DirectSource>).sendRest === 'function';
}

export interface UploadOptions {
  /**
   * Opens a new connection to the helper's socket, for the bytes to travel raw. Given by the
   * caller (the CLI, the extension), so this module needs no node:net.
   */
  openRawChannel?: () => Promise<RawChannel>;
}

export class ConnectionLostError extends Error {
  constructor() {
    super('the connection to the Strata helper was lost (did it stop or crash? see its log)');
    this.name = 'ConnectionLostError';
  }
}

export class StrataClient {
  /** Rejects when the connection closes: every pending request and session fails with it. */
  readonly lost: Promise<never>;
  /** `lost`, raced against every request (LongLived: a reply is not kept once it is read). */
  private readonly lostRace: LongLived<never>;
  private closedByUs = false;

  constructor(readonly connection: MessageConnection) {
    this.lost = new Promise<never>((_, reject) => {
      connection.onClose(() => { if (!this.closedByUs) reject(new ConnectionLostError()); });
    });
    this.lost.catch(() => undefined);
    this.lostRace = new LongLived(this.lost);
  }

  /**
   * `cancel` (vscode-jsonrpc's or VS Code's CancellationToken) sends JSON-RPC's $/cancelRequest for
   * this request; the promise still settles with the helper's answer (Cancelled once it stopped).
   */
  async request<M extends MethodName>(method: M, params: ParamsOf<M>, cancel?: CancellationToken): Promise<ResultOf<M>> {
    try {
      const sent = cancel ? this.connection.sendRequest(method, params, cancel) : this.connection.sendRequest(method, params);
      return (await this.lostRace.race(sent)) as ResultOf<M>;
    } catch (err) {
      if (err instanceof ResponseError) throw new StrataRequestError(method, err.code, err.message, err.data as { exitCode?: number } | undefined);
      throw err;
    }
  }

  on<N extends NotificationName>(name: N, handler: (params: Notifications[N]) => void): { dispose(): void } {
    return this.connection.onNotification(name, handler as (p: unknown) => void);
  }

  /**
   * Sends a byte source into an upload; resolves with the byte count once the helper has it all.
   * With `openRawChannel` the bytes travel raw on a second connection; without (stdio, the
   * --connect relay), base64 in upload.write. Either way upload.end carries the count, so the
   * helper refuses an upload that lost bytes on the way.
   */
  async upload(token: string, source: AsyncIterable<Uint8Array>, opts: UploadOptions = {}): Promise<number> {
    try {
      const size = opts.openRawChannel ? await sendRaw(token, source, opts.openRawChannel) : await this.sendBase64(token, source);
      await this.request('upload.end', { token, size });
      return size;
    } catch (err) {
      await this.request('upload.abort', { token }).catch(() => undefined);
      throw err;
    }
  }

  private async sendBase64(token: string, source: AsyncIterable<Uint8Array>): Promise<number> {
    const inFlight = new Set<Promise<unknown>>();
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let total = 0;
    const send = async (data: Uint8Array) => {
      const p = this.request('upload.write', { token, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') });
      inFlight.add(p);
      p.finally(() => inFlight.delete(p)).catch(() => undefined);
      if (inFlight.size >= UPLOAD_WINDOW) await Promise.race(inFlight);
    };
    for await (const chunk of source) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      total += chunk.byteLength;
      while (pendingBytes >= UPLOAD_CHUNK_BYTES) {
        const joined = Buffer.concat(pending);
        await send(joined.subarray(0, UPLOAD_CHUNK_BYTES));
        pending = [joined.subarray(UPLOAD_CHUNK_BYTES)];
        pendingBytes = pending[0].byteLength;
      }
    }
    if (pendingBytes > 0) await send(Buffer.concat(pending));
    await Promise.all(inFlight);
    return total;
  }

  /**
   * Reads a download (download.begin) raw on a second connection into `sink`, while `filling`
   * (the image.save or container.export given its token) runs; resolves with its answer once every
   * byte it counted has arrived. The answer, not the connection's end, says the bytes are whole:
   * a failed save closes the connection the same way, and its error is what is thrown.
   */
  async download<R extends { size: number }>(token: string, filling: Promise<R>, sink: NodeJS.WritableStream, open: () => Promise<RawDuplex>): Promise<R> {
    const received = (async () => {
      const channel = await open();
      try {
        channel.write(rawDownloadHeader(token));
        let total = 0;
        for await (const chunk of channel) {
          total += (chunk as Buffer).length;
          if (!sink.write(chunk as Buffer)) await drainedOrFailed(sink);
        }
        return total;
      } finally {
        channel.destroy();
      }
    })();
    const [answer, got] = await Promise.allSettled([filling, received]);
    if (answer.status === 'rejected') throw answer.reason;
    if (got.status === 'rejected') {
      await this.request('download.abort', { token }).catch(() => undefined);
      throw got.reason;
    }
    if (got.value !== answer.value.size) throw new Error(`the download was cut short: ${got.value} of ${answer.value.size} bytes arrived`);
    return answer.value;
  }

  dispose(): void {
    this.closedByUs = true;
    this.connection.dispose();
  }
}

/** Resolves when `sink` wants more, rejects when it failed (a full disk): never waits forever. */
function drainedOrFailed(sink: NodeJS.WritableStream): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const drained = () => { sink.off('error', failed); resolve(); };
    const failed = (err: Error) => { sink.off('drain', drained); reject(err); };
    sink.once('drain', drained);
    sink.once('error', failed);
  });
}

/**
 * The raw path: the header line, the bytes with backpressure, the half-close; resolves with the
 * count once the helper has closed its side too, which it does after it has taken every byte.
 */
async function sendRaw(token: string, source: AsyncIterable<Uint8Array>, open: () => Promise<RawChannel>): Promise<number> {
  const channel = await open();
  let failure: Error | undefined;
  let closed = false;
  channel.on('error', (err: Error) => { failure ??= err; });
  // The helper sends nothing back, but its end must be read for 'close' to come.
  channel.resume();
  const whenClosed = new Promise<void>((resolve) => channel.once('close', () => { closed = true; resolve(); }));
  const orClosed = new LongLived(whenClosed);
  // Closed before we ended it: the helper refused the stream (its log says why) or went away.
  const broken = () => new Error(`the helper closed the raw upload stream${failure ? ` (${failure.message})` : ''}; see its log`);
  let total = 0;
  try {
    // The header line goes with the first bytes, in one write: the helper reads them together, and
    // an import can tell a plain tar from its first bytes and hand the socket to its native reader.
    let header: Buffer | null = Buffer.from(rawUploadHeader(token), 'latin1');
    if (isDirect(source)) {
      const first = await source.first();
      // Handed to the kernel before the other process writes into the same socket: its bytes
      // must follow these, not overtake them.
      await new Promise<void>((resolve, reject) => channel.write(Buffer.concat([header!, first]), (err) => (err ? reject(err) : resolve()))).catch(() => {
        throw broken();
      });
      header = null;
      // A helper that closes the channel early makes the sender fail (EPIPE): its words then.
      // Handing the socket to a child process as its stdout stops this side's reading of it
      // (Node's spawn): read again, or the helper's close would never be seen.
      const rest = await source.sendRest(channel).finally(() => channel.resume()).catch(async (err: Error) => {
        // Its 'close' may reach this process just after the sender's failure.
        await orClosed.race(new Promise((r) => setTimeout(r, 1000).unref()));
        throw closed ? broken() : err;
      });
      total = first.byteLength + rest;
    } else for await (const chunk of source) {
      if (closed) throw broken();
      total += chunk.byteLength;
      const data = header ? Buffer.concat([header, chunk]) : chunk;
      header = null;
      if (!channel.write(data)) await orClosed.race(new Promise((r) => channel.once('drain', r)));
    }
    if (header) channel.write(header);
    if (closed) throw broken();
    channel.end();
    await whenClosed;
    if (failure) throw broken();
    return total;
  } finally {
    channel.destroy();
  }
}
