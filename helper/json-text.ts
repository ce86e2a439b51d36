// A method's result already written as JSON: the connection's writer (rpc/framing.ts) sends its
// bytes as they are, between the response's own fields. For answers of many small objects (a
// layer's changes: 100,000 of them), which cost several times their JSON's size as objects, and
// a string of that JSON again before its bytes.

export class JsonText {
  /** `bytes`: one JSON value, UTF-8. */
  constructor(readonly bytes: Buffer) {}
}

/**
 * `bytes` as the result of a method whose protocol type is T: what the client receives is the
 * JSON of a T. Only the connection's writer reads it; nothing in the helper may use it as a T.
 */
export function jsonResult<T>(bytes: Buffer): T {
  return new JsonText(bytes) as unknown as T;
}
