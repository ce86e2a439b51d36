// How one connection's bytes become JSON-RPC messages and back, with what the connection may hold
// bounded (issue 14, defect 1): a message over the cap or with a header block the protocol does
// not define closes the connection before its body is read (size-cap.ts, message-reader.ts); a
// body that is not JSON is answered with -32700 Parse error and id null (JSON-RPC 2.0, section
// 5), and the connection goes on: the spec does not ask to close it, and the framing says where
// the next message starts; and a client that sends requests faster than it reads the replies
// finds its socket paused (the backlog below), then closed if the helper's output still piles up.
import type { Readable, Writable } from 'node:stream';
import { AbstractMessageWriter, ErrorCodes, type Message, type MessageReader, type MessageWriter } from 'vscode-jsonrpc/node';
import { JsonText } from '../json-text';
import { CappedMessageReader } from './message-reader';

export interface BacklogLimits {
  /** Unanswered requests and unsent output above which the connection's socket is not read. */
  highWater: number;
  /**
   * Unsent output (replies and events the client has not read) at which the connection is
   * closed: above what one request sends in one go (a container's whole log, 64 MiB, in base64).
   */
  maxUnsent: number;
  /** Output above the high-water mark that the client has not read for this long closes it too. */
  stallMs: number;
}

export const BACKLOG_LIMITS: BacklogLimits = { highWater: 16 * 1024 * 1024, maxUnsent: 256 * 1024 * 1024, stallMs: 30_000 };
/**
 * What a request or an unsent message costs beyond its bytes: a request pins its promise,
 * closures and handler state; an unsent frame its entry in the stream's queue (about 1 KB of
 * memory for a 160-byte reply, measured on Node 20), which writableLength does not count.
 */
const MESSAGE_OVERHEAD = 1024;
/** Bodies up to this size go out as one buffer with their header (one queue entry, not two). */
const JOIN_BELOW = 64 * 1024;

type Id = string | number;

function requestId(message: Message): Id | undefined {
  const m = message as { method?: unknown; id?: unknown };
  if (typeof m.method !== 'string') return undefined;
  return typeof m.id === 'string' || typeof m.id === 'number' ? m.id : undefined;
}

function responseId(message: Message): Id | undefined {
  const m = message as { method?: unknown; id?: unknown };
  if (m.method !== undefined) return undefined;
  return typeof m.id === 'string' || typeof m.id === 'number' ? m.id : undefined;
}

/** What one connection holds on the helper's side: requests not yet answered, output not yet sent. */
export class Backlog {
  private charged = 0;
  private unsent = 0;
  // Per id, the charges of its requests in the order they came (a client may reuse an id).
  private readonly open = new Map<string, number[]>();

  constructor(private readonly output: Writable, private readonly limits: BacklogLimits = BACKLOG_LIMITS) {}

  charge(message: Message, bytes: number): void {
    const id = requestId(message);
    if (id === undefined) return; // a notification: the reader's pacing bounds those
    const key = `${typeof id}:${id}`;
    const cost = bytes + MESSAGE_OVERHEAD;
    const list = this.open.get(key);
    if (list) list.push(cost);
    else this.open.set(key, [cost]);
    this.charged += cost;
  }

  /** A message is queued on the stream. */
  sending(): void {
    this.unsent++;
  }

  /** A message has left the helper; a reply's request no longer counts. */
  sent(message: Message): void {
    this.unsent--;
    const id = responseId(message);
    if (id === undefined) return;
    const key = `${typeof id}:${id}`;
    const list = this.open.get(key);
    const cost = list?.shift();
    if (cost === undefined) return;
    if (list!.length === 0) this.open.delete(key);
    this.charged -= cost;
  }

  full(): boolean {
    return this.charged + this.output.writableLength + this.unsent * MESSAGE_OVERHEAD >= this.limits.highWater;
  }
}

/**
 * Writes each message as one frame without waiting for the previous one to be flushed (unlike
 * vscode-jsonrpc's writer, whose queue of unsent messages no one can see), so what is unsent is
 * the stream's writableLength, which the backlog counts and which is bounded here.
 */
export class BacklogWriter extends AbstractMessageWriter implements MessageWriter {
  /** When the client last took bytes, or had taken all there was. */
  private lastProgress = Date.now();

  constructor(
    private readonly output: Writable,
    private readonly backlog: Backlog,
    private readonly flushed: () => void,
    private readonly overflow: (why: string) => void,
    private readonly limits: BacklogLimits = BACKLOG_LIMITS,
  ) {
    super();
    output.on('error', (err: Error) => this.fireError(err));
    output.on('close', () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    let body: Buffer[];
    try {
      body = serialise(message);
    } catch (err) {
      this.fireError(err, message);
      return Promise.reject(err);
    }
    // Checked before this message is queued: one large reply or burst of events (a long log) is
    // not refused; output that piles up because the client does not read is. Requests stop
    // being read well before (the backlog), so what grows here is the helper's own output: an
    // attached container that prints to a client that does not read.
    const unsent = this.output.writableLength;
    if (unsent === 0) this.lastProgress = Date.now();
    else if (unsent > this.limits.maxUnsent || (unsent > this.limits.highWater && Date.now() - this.lastProgress > this.limits.stallMs)) {
      const why = `the client has not read ${unsent} bytes of replies and events`;
      this.overflow(why);
      return Promise.reject(new Error(`not sent: ${why}`));
    }
    const length = body.reduce((n, b) => n + b.length, 0);
    const header = Buffer.from(`Content-Length: ${length}\r\n\r\n`, 'latin1');
    return new Promise<void>((resolve, reject) => {
      this.backlog.sending();
      const done = (err?: Error | null) => {
        this.lastProgress = Date.now();
        this.backlog.sent(message);
        this.flushed();
        if (err) reject(err);
        else resolve();
      };
      if (length < JOIN_BELOW) {
        this.output.write(Buffer.concat([header, ...body]), done);
      } else {
        // Large parts go by reference (a 4 MB answer is not copied to be joined).
        const last = body.length - 1;
        this.output.write(header);
        body.forEach((part, i) => (i === last ? this.output.write(part, done) : this.output.write(part)));
      }
    });
  }

  end(): void {
    this.output.end();
  }
}

/**
 * A message's JSON, UTF-8, in parts: one, or for a result already written as JSON (json-text.ts)
 * the response's own fields around its bytes.
 */
function serialise(message: Message): Buffer[] {
  const result = (message as { result?: unknown }).result;
  if (!(result instanceof JsonText)) return [Buffer.from(JSON.stringify(message), 'utf8')];
  const head = JSON.stringify({ ...message, result: null });
  const cut = head.lastIndexOf('null}');
  if (cut < 0 || !head.endsWith('"result":null}')) throw new Error('a pre-written JSON result in a message without its result last');
  return [Buffer.from(head.slice(0, cut), 'utf8'), result.bytes, CLOSE_BRACE];
}

const CLOSE_BRACE = Buffer.from('}');

export interface Framing {
  reader: MessageReader;
  writer: MessageWriter;
}

/**
 * The reader and writer of one connection. `close` is called once, with the reason, when the
 * client broke the framing or stopped reading; it is to close the connection.
 */
export function frameConnection(input: Readable, output: Writable, maxMessageBytes: number, log: (line: string) => void, close: (why: string) => void): Framing {
  const backlog = new Backlog(output);
  let closing = false;
  const closeOnce = (why: string) => {
    if (closing) return;
    closing = true;
    close(why);
  };
  const reader: CappedMessageReader = new CappedMessageReader(input, maxMessageBytes, {
    refused: closeOnce,
    unparsable: (why) => {
      log(`a message that is not JSON (${JSON.stringify(why.slice(0, 200))}): answered with -32700 Parse error`);
      void writer.write({ jsonrpc: '2.0', id: null, error: { code: ErrorCodes.ParseError, message: `Parse error: ${why.slice(0, 200)}` } } as Message)
        .catch(() => undefined);
    },
    invalid: (why, id) => {
      log(`a message that is not a JSON-RPC request (${why}): answered with -32600 Invalid Request`);
      void writer.write({ jsonrpc: '2.0', id, error: { code: ErrorCodes.InvalidRequest, message: `Invalid Request: ${why}` } } as Message)
        .catch(() => undefined);
    },
    full: () => backlog.full(),
    received: (message, bytes) => backlog.charge(message, bytes),
  });
  const writer = new BacklogWriter(output, backlog, () => reader.wake(), closeOnce);
  return { reader, writer };
}
