// The framing of one JSON-RPC message, read strictly: the LSP base protocol's header block
// ("Content-Length: N\r\n", optionally "Content-Type: ...\r\n", then "\r\n") and nothing else.
// vscode-jsonrpc believes any Content-Length, keeps the last of several, and accepts any other
// header: a cap that read the first Content-Length while vscode-jsonrpc used a second, huge one
// let a client drive the root helper from 60 MB to 8 GB (issue 14, defect 1). Here a header
// block is refused unless it has exactly one Content-Length within the cap, at most one
// Content-Type naming JSON in UTF-8, and no other header; what is refused closes the connection.
// Pure: no streams, no sockets.

/** The longest header block read before it is refused: the two defined headers fit in 100 bytes. */
export const MAX_HEADER_BYTES = 1024;

export type HeaderBlock =
  | { kind: 'incomplete' }
  | { kind: 'ok'; /** bytes of the header block, its final "\r\n\r\n" included */ headerBytes: number; bodyBytes: number }
  | { kind: 'refused'; reason: string };

const TERMINATOR = Buffer.from('\r\n\r\n', 'ascii');
// The header line's form: a token, a colon, optional blanks, a value of visible ASCII and blanks.
const HEADER_LINE = /^([A-Za-z0-9-]+):[ \t]*([\x20-\x7e]*?)[ \t]*$/;
// LSP base protocol: application/vscode-jsonrpc, charset utf-8 ("utf8" accepted for old clients).
// The body is always decoded as UTF-8, so a header announcing another charset is refused.
const CONTENT_TYPE = /^application\/(vscode-jsonrpc|json)(;[ \t]*charset=("?)utf-?8\3)?$/i;

/**
 * Reads the header block at the start of `bytes`: 'incomplete' while its "\r\n\r\n" has not come
 * and fewer than MAX_HEADER_BYTES arrived, else what it allows (the body's length) or why not.
 */
export function parseHeaderBlock(bytes: Buffer, maxBody: number): HeaderBlock {
  const end = bytes.subarray(0, MAX_HEADER_BYTES).indexOf(TERMINATOR);
  if (end < 0) {
    if (bytes.length >= MAX_HEADER_BYTES) return refused(`message header longer than ${MAX_HEADER_BYTES} bytes`);
    return { kind: 'incomplete' };
  }
  let length: number | undefined;
  let contentType = false;
  for (const line of bytes.subarray(0, end).toString('latin1').split('\r\n')) {
    const m = HEADER_LINE.exec(line);
    if (!m) return refused(`malformed message header line ${quote(line)}`);
    const name = m[1].toLowerCase();
    const value = m[2];
    if (name === 'content-length') {
      // Two lengths are how the cap was bypassed: whichever one a reader keeps, refuse both.
      if (length !== undefined) return refused('message header with more than one Content-Length');
      if (!/^\d{1,15}$/.test(value)) return refused(`Content-Length is not a number: ${quote(value)}`);
      length = Number(value);
    } else if (name === 'content-type') {
      if (contentType) return refused('message header with more than one Content-Type');
      if (!CONTENT_TYPE.test(value)) return refused(`Content-Type ${quote(value)} is not JSON in UTF-8`);
      contentType = true;
    } else {
      return refused(`message header ${quote(m[1])} is not one the protocol defines (Content-Length, Content-Type)`);
    }
  }
  if (length === undefined) return refused('message header without a Content-Length');
  if (length > maxBody) return refused(`message of ${length} bytes is over the ${maxBody}-byte limit`);
  return { kind: 'ok', headerBytes: end + TERMINATOR.length, bodyBytes: length };
}

function refused(reason: string): HeaderBlock {
  return { kind: 'refused', reason };
}

/** A client's bytes quoted for the log: short, and with control characters escaped by JSON. */
function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
