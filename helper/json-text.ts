// A method's result already written as JSON: the connection's writer (rpc/framing.ts) sends its
// bytes as they are, between the response's own fields. For answers of many small objects (a
// layer's changes: 100,000 of them), which cost several times their JSON's size as objects, and
// a string of that JSON again before its bytes.

/** Only a type: no JsonText ever has this field. */
declare const protocolType: unique symbol;

/**
 * `bytes`: one JSON value, UTF-8, that is the JSON of a T (the method's protocol type, what the
 * client receives). T is carried only by the type, so that a JsonText is never taken for a T in
 * the helper: code that needs the T has to parse the bytes.
 */
export class JsonText<T> {
  declare private readonly [protocolType]: T;
  constructor(readonly bytes: Buffer) {}
}
