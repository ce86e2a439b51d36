// The raw upload channel: an upload's bytes travel as themselves on a second connection to the
// helper's socket, not as base64 inside JSON-RPC messages (which cost the helper a pattern check,
// JSON.parse and a decode per byte, and the client an encode). The connection starts with one
// header line, then the bytes, then the client half-closes:
//
//   STRATA-UPLOAD <token>\n<raw bytes...>
//
// <token> is what upload.begin returned (32 lowercase hex). The header has one exact form, so
// the helper decides at the first wrong byte and never buffers more than HEADER_BYTES of it.
// Pure: no fs, no net, no vscode (both sides import it).
import { patterns, UPLOAD_TOKEN_CHARS as TOKEN_CHARS } from './methods';

export const RAW_UPLOAD_PREFIX = 'STRATA-UPLOAD ';
/** The whole header line, newline included (47 bytes): the most the helper buffers before it decides. */
export const RAW_UPLOAD_HEADER_BYTES = RAW_UPLOAD_PREFIX.length + TOKEN_CHARS + 1;

const NEWLINE = 0x0a;
const prefixBytes = (prefix: string) => Array.from(prefix, (c) => c.charCodeAt(0));

function isLowerHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66);
}

/** The header line a client sends first on a raw upload connection. */
export function rawUploadHeader(token: string): string {
  if (!patterns.token.test(token)) throw new Error(`not an upload token: ${JSON.stringify(token.slice(0, 40))}`);
  return `${RAW_UPLOAD_PREFIX}${token}\n`;
}

/**
 * What a new connection's first bytes say it is: 'raw' once they hold the whole prefix, 'rpc'
 * as soon as one byte differs from it (a JSON-RPC message starts with "Content-Length:", so a
 * normal client is told apart at its first byte), 'undecided' while they are a proper prefix.
 * (`prefix`: a raw download's, protocol/raw-download.ts, has the same form.)
 */
export function sniffConnection(head: Uint8Array, prefix = RAW_UPLOAD_PREFIX): 'raw' | 'rpc' | 'undecided' {
  const PREFIX_BYTES = prefixBytes(prefix);
  const n = Math.min(head.length, PREFIX_BYTES.length);
  for (let i = 0; i < n; i++) if (head[i] !== PREFIX_BYTES[i]) return 'rpc';
  return head.length >= PREFIX_BYTES.length ? 'raw' : 'undecided';
}

export type RawHeader =
  | { kind: 'incomplete' }
  | { kind: 'ok'; token: string; /** bytes the header took: the payload starts here */ length: number }
  | { kind: 'refused'; reason: string };

/**
 * Parses the header at the start of `bytes`, strictly: the prefix, exactly 32 lowercase hex
 * characters, one '\n'. Anything else is refused at its first wrong byte, with the reason
 * (threat: hostile bytes on a root helper's socket; no long line is ever buffered, no token
 * is ever looked up that is not in its exact form).
 */
export function parseRawUploadHeader(bytes: Uint8Array, prefix = RAW_UPLOAD_PREFIX): RawHeader {
  const PREFIX_BYTES = prefixBytes(prefix);
  const headerBytes = PREFIX_BYTES.length + TOKEN_CHARS + 1;
  const n = Math.min(bytes.length, headerBytes);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (i < PREFIX_BYTES.length) {
      if (b !== PREFIX_BYTES[i]) return { kind: 'refused', reason: `the header does not start with "${prefix.trim()} "` };
    } else if (i < PREFIX_BYTES.length + TOKEN_CHARS) {
      if (b === NEWLINE) return { kind: 'refused', reason: `the token is shorter than ${TOKEN_CHARS} characters` };
      if (!isLowerHex(b)) return { kind: 'refused', reason: `the token is not ${TOKEN_CHARS} lowercase hex characters (byte 0x${b.toString(16).padStart(2, '0')} at ${i})` };
    } else if (b !== NEWLINE) {
      return { kind: 'refused', reason: `the token is longer than ${TOKEN_CHARS} characters, or the header line does not end after it` };
    }
  }
  if (bytes.length < headerBytes) return { kind: 'incomplete' };
  let token = '';
  for (let i = PREFIX_BYTES.length; i < PREFIX_BYTES.length + TOKEN_CHARS; i++) token += String.fromCharCode(bytes[i]);
  return { kind: 'ok', token, length: headerBytes };
}
