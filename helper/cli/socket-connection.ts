// The CLI's JSON-RPC connection over its socket, made from vscode-jsonrpc's common code and its
// Node runtime layer rather than from its Node entry ('vscode-jsonrpc/node'): that entry loads
// node:crypto (17 of Node's modules, to name IPC pipes the CLI never makes) and node:os, and every
// `strata` command paid for them before its first request. The connection is the same one the
// entry's createMessageConnection makes from a stream: its reader, its writer, no logger.
import RIL from 'vscode-jsonrpc/lib/node/ril';
import {
  createMessageConnection,
  NullLogger,
  ReadableStreamMessageReader,
  WriteableStreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/lib/common/api';
import type { Duplex } from 'node:stream';

export function socketConnection(sock: Duplex): MessageConnection {
  // What the Node entry does when it loads: vscode-jsonrpc's runtime layer is Node's (idempotent).
  RIL.install();
  const reader = new ReadableStreamMessageReader(RIL().stream.asReadableStream(sock));
  const writer = new WriteableStreamMessageWriter(RIL().stream.asWritableStream(sock));
  return createMessageConnection(reader, writer, NullLogger);
}
