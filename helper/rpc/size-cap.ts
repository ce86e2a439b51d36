// vscode-jsonrpc believes any Content-Length and buffers that much: a client could make the root
// helper allocate gigabytes with one header. This Transform reads the framing first and cuts the
// connection when a header is malformed or announces more than the cap.
import { Transform, type TransformCallback } from 'node:stream';

const MAX_HEADER_BYTES = 8192;

export class MessageSizeCap extends Transform {
  private header = Buffer.alloc(0);
  private bodyLeft = 0;

  constructor(private readonly maxBytes: number, private readonly onViolation: (why: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let rest = chunk;
    while (rest.length > 0) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, rest.length);
        this.push(rest.subarray(0, take));
        this.bodyLeft -= take;
        rest = rest.subarray(take);
        continue;
      }
      this.header = Buffer.concat([this.header, rest]);
      rest = Buffer.alloc(0);
      const end = this.header.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.header.length > MAX_HEADER_BYTES) return this.violate(`message header longer than ${MAX_HEADER_BYTES} bytes`, done);
        break;
      }
      const text = this.header.subarray(0, end).toString('ascii');
      const match = /^content-length:\s*(\d{1,12})\s*$/im.exec(text);
      if (!match) return this.violate('message header without a Content-Length', done);
      const length = Number(match[1]);
      if (length > this.maxBytes) return this.violate(`message of ${length} bytes is over the ${this.maxBytes}-byte limit`, done);
      this.push(this.header.subarray(0, end + 4));
      rest = this.header.subarray(end + 4);
      this.header = Buffer.alloc(0);
      this.bodyLeft = length;
    }
    done();
  }

  private violate(why: string, done: TransformCallback): void {
    this.onViolation(why);
    done(new Error(why));
  }
}
