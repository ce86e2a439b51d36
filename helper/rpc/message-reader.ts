// The helper's only JSON-RPC message reader (vscode-jsonrpc's StreamMessageReader is not used on
// the helper's side): the header block is parsed strictly (size-cap.ts) and a body is buffered
// only once its length is known to be within the cap, so no client can make the root helper hold
// more than one capped message of its bytes (issue 14, defect 1). It also paces the connection:
// - messages are handed on one per turn of the event loop, the rate at which vscode-jsonrpc
//   dispatches them, so its queue cannot grow behind a client that sends faster;
// - while the connection's backlog (unanswered requests, unsent replies) is full, the socket is
//   paused: the kernel's buffer fills and the client's writes block, not the helper's memory.
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { AbstractMessageReader, Disposable, type DataCallback, type Message, type MessageReader } from 'vscode-jsonrpc/node';
import { parseHeaderBlock } from './size-cap';

export interface ReaderHooks {
  /** The framing broke a rule: nothing more is read, and the connection is to close. */
  refused(why: string): void;
  /** A well-framed body that is not JSON: JSON-RPC's -32700 Parse error is owed (id null). */
  unparsable(why: string): void;
  /** JSON that is no JSON-RPC message (a number, a batch, a request whose id is null): -32600 is owed. */
  invalid(why: string, id: string | number | null): void;
  /** Whether the connection already holds all the unanswered work it may: reading waits. */
  full(): boolean;
  /** A message is handed on; `bytes` is its body's size, for the backlog to charge. */
  received(message: Message, bytes: number): void;
}

export class CappedMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  /** Bytes read from the socket and not yet parsed: at most the rest of one chunk. */
  private unread: Buffer[] = [];
  private header = Buffer.alloc(0);
  /** Body bytes still to come; -1 while the header block is read. */
  private bodyLeft = -1;
  private bodyBytes = 0;
  private body: string[] = [];
  private decoder = new StringDecoder('utf8');
  private waitingForTurn = false;
  private stopped = false;

  constructor(private readonly input: Readable, private readonly maxBody: number, private readonly hooks: ReaderHooks) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => {
      this.unread.push(chunk);
      this.pump();
    };
    const onError = (err: Error) => this.fireError(err);
    const onClose = () => {
      this.stop();
      this.fireClose();
    };
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('close', onClose);
    this.pump(); // the socket may come paused (rpc/socket.ts sniffs its first bytes)
    return Disposable.create(() => {
      this.input.off('data', onData);
      this.input.off('error', onError);
      this.input.off('close', onClose);
    });
  }

  /** The backlog shrank (a reply went out): reading may go on. */
  wake(): void {
    this.pump();
  }

  override dispose(): void {
    this.stop();
    super.dispose();
  }

  private stop(): void {
    this.stopped = true;
    this.unread = [];
    this.body = [];
    this.header = Buffer.alloc(0);
  }

  private pump(): void {
    if (this.stopped) return;
    while (!this.waitingForTurn && this.unread.length > 0 && !this.hooks.full()) {
      if (this.step()) {
        this.waitingForTurn = true;
        setImmediate(() => {
          this.waitingForTurn = false;
          this.pump();
        });
      }
      if (this.stopped) return;
    }
    if (this.unread.length > 0 || this.hooks.full()) this.input.pause();
    else this.input.resume();
  }

  /** Parses what the first unread chunk holds of the current message; true once one is handed on. */
  private step(): boolean {
    const chunk = this.unread[0];
    if (this.bodyLeft < 0) return this.readHeader(chunk);
    const take = Math.min(this.bodyLeft, chunk.length);
    this.body.push(this.decoder.write(chunk.subarray(0, take)));
    this.bodyLeft -= take;
    this.consume(take);
    return this.bodyLeft === 0 ? this.finishBody() : false;
  }

  private readHeader(chunk: Buffer): boolean {
    const had = this.header.length;
    const head = had === 0 ? chunk : Buffer.concat([this.header, chunk]);
    const block = parseHeaderBlock(head, this.maxBody);
    if (block.kind === 'refused') {
      this.stop();
      this.hooks.refused(block.reason);
      return false;
    }
    if (block.kind === 'incomplete') {
      // Under MAX_HEADER_BYTES, or it would have been refused: copied, not kept as a view of a chunk.
      this.header = Buffer.from(head);
      this.consume(chunk.length);
      return false;
    }
    this.header = Buffer.alloc(0);
    this.consume(block.headerBytes - had);
    this.bodyLeft = block.bodyBytes;
    this.bodyBytes = block.bodyBytes;
    return this.bodyLeft === 0 ? this.finishBody() : false;
  }

  private consume(bytes: number): void {
    const chunk = this.unread[0];
    if (bytes >= chunk.length) this.unread.shift();
    else this.unread[0] = chunk.subarray(bytes);
  }

  /**
   * The body was decoded as it came, chunk by chunk, into strings on the JS heap, which a GC gives
   * back to the system; one Buffer of the whole body would be malloc'd, and glibc kept those: after
   * four clients sent 400 MB each, the helper held 116 to 164 MB that way against 70 this way.
   */
  private finishBody(): boolean {
    this.body.push(this.decoder.end());
    const text = this.body.join('');
    this.body = [];
    this.bodyLeft = -1;
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch (err) {
      this.hooks.unparsable(err instanceof Error ? err.message : String(err));
      return false;
    }
    const invalid = notAMessage(message);
    if (invalid) {
      const id = (message as { id?: unknown } | null)?.id;
      this.hooks.invalid(invalid, typeof id === 'string' || typeof id === 'number' ? id : null);
      return false;
    }
    this.hooks.received(message, this.bodyBytes);
    this.callback?.(message);
    return true;
  }
}

/**
 * Why parsed JSON is not a JSON-RPC 2.0 message this helper takes, or undefined when it is one
 * (vscode-jsonrpc would drop the rest without a word, leaving the client waiting). Batches are not
 * served: one Invalid Request answers the whole array.
 */
function notAMessage(m: unknown): string | undefined {
  if (Array.isArray(m)) return 'batches are not supported: send one request per message';
  if (m === null || typeof m !== 'object') return `a message is a JSON object, not ${m === null ? 'null' : typeof m}`;
  const { jsonrpc, method, id } = m as { jsonrpc?: unknown; method?: unknown; id?: unknown };
  if (jsonrpc !== '2.0') return 'the "jsonrpc" member must be "2.0"';
  const isResponse = method === undefined && ('result' in m || 'error' in m);
  if (isResponse) return undefined;
  if (typeof method !== 'string') return 'a request needs a "method" string';
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') return 'a request\'s "id" must be a string or a number';
  return undefined;
}
