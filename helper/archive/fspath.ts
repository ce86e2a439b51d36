// Paths inside a layer are "binary strings": one char per byte (latin1), so every file name survives
// tar -> disk -> tar byte for byte. Linux names are bytes, not necessarily UTF-8, and Node would
// silently replace invalid UTF-8 with U+FFFD if names went through its default string decoding.
// Sorting such strings with < compares bytes, which is what the canonical tar order needs.

/** The bytes of a directory the caller named with an ordinary (UTF-8) string. */
export function rootBytes(dir: string): Buffer {
  return Buffer.from(dir.replace(/\/+$/, '') || '/', 'utf8');
}

/** A layer-relative binary path as a person reads it (UTF-8 decoded). */
export function displayPath(rel: string): string {
  return Buffer.from(rel, 'latin1').toString('utf8');
}

/** A path quoted for an error message. */
export function quote(rel: string): string {
  return JSON.stringify(displayPath(rel));
}

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '.' : rel.slice(0, i);
}

export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

export function joinRel(parent: string, name: string): string {
  return parent === '.' ? name : `${parent}/${name}`;
}

/** Bytewise order of binary strings (what `sort` in the C locale does). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
