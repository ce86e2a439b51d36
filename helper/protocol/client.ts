// The typed client both faces use (CLI and VS Code extension): requests checked against the
// method table at compile time, notifications by name, and uploads of a byte stream in chunks
// with a window, so a 200 MB tar flows without waiting a round trip per chunk.
// Transport-neutral: it wraps any vscode-jsonrpc MessageConnection.
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc';
import { errorCodeName } from './errors';
import type { MethodName, NotificationName, Notifications, ParamsOf, ResultOf } from './methods';

export class StrataRequestError extends Error {
  constructor(readonly method: string, readonly code: number, message: string, readonly data?: { exitCode?: number }) {
    super(message);
    this.name = 'StrataRequestError';
  }
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

// 1 MiB of data is 1,398,104 base64 characters: the most methods.ts lets one upload.write carry
// (1,400,000), well under MAX_MESSAGE_BYTES. Fewer, bigger messages: importing the 204 MB debootstrap
// tar through the CLI took ~10% less than with 512 KiB (4.3 s against 4.8 s, medians of 5 in one
// run; a window of 4 did as well as 8). What the upload costs is otherwise per byte, and on the
// helper's one thread, ahead of the import itself (CPU profile, per 204 MB): the base64 pattern
// check of methods.ts ~1.2 s (an anchored /^[A-Za-z0-9+/]*={0,2}$/ over each 1.4 MB string;
// `!/[^A-Za-z0-9+/=]/.test(s)` plus a look at the last 3 characters takes a fifth of that),
// JSON.parse ~0.45 s, the UTF-8 decoding of each message ~0.25 s, base64 decoding and GC; the CLI
// spends ~1 s encoding. So an import through the CLI takes ~4 s where extractLayer alone takes ~1 s.
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
const UPLOAD_WINDOW = 8;

export class ConnectionLostError extends Error {
  constructor() {
    super('the connection to the Strata helper was lost (did it stop or crash? see its log)');
    this.name = 'ConnectionLostError';
  }
}

export class StrataClient {
  /** Rejects when the connection closes: every pending request and session fails with it. */
  readonly lost: Promise<never>;
  private closedByUs = false;

  constructor(readonly connection: MessageConnection) {
    this.lost = new Promise<never>((_, reject) => {
      connection.onClose(() => { if (!this.closedByUs) reject(new ConnectionLostError()); });
    });
    this.lost.catch(() => undefined);
  }

  async request<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    try {
      return (await Promise.race([this.connection.sendRequest(method, params), this.lost])) as ResultOf<M>;
    } catch (err) {
      if (err instanceof ResponseError) throw new StrataRequestError(method, err.code, err.message, err.data as { exitCode?: number } | undefined);
      throw err;
    }
  }

  on<N extends NotificationName>(name: N, handler: (params: Notifications[N]) => void): { dispose(): void } {
    return this.connection.onNotification(name, handler as (p: unknown) => void);
  }

  /** Sends a byte source into an upload; resolves with the byte count once the helper has it all. */
  async upload(token: string, source: AsyncIterable<Uint8Array>): Promise<number> {
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
    try {
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
      await this.request('upload.end', { token });
      return total;
    } catch (err) {
      await this.request('upload.abort', { token }).catch(() => undefined);
      throw err;
    }
  }

  dispose(): void {
    this.closedByUs = true;
    this.connection.dispose();
  }
}
