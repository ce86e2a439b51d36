// One client connection: JSON-RPC 2.0 over a byte stream (a unix socket or stdio), message size
// capped, every parameter validated against protocol/methods.ts before the engine is called, and
// every error turned into a stable code with a message a person can act on.
import type { Readable, Writable } from 'node:stream';
import { createMessageConnection, ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Engine } from '../engine';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { MAX_MESSAGE_BYTES, methods, type MethodName, type Notifications, type ParamsOf } from '../protocol/methods';
import { SchemaError } from '../protocol/schema';
import { onContainerFilesChanged } from '../engine/watch';
import type { ConnectionState } from './handlers';
import { frameConnection } from './framing';
import { dispatch } from './methods';

export type Logger = (line: string) => void;

function toResponseError(method: string, err: unknown, log: Logger): ResponseError<{ exitCode: number } | undefined> {
  if (err instanceof SchemaError) return new ResponseError(ErrorCode.InvalidParams, `${method}: invalid parameters: ${err.message}`);
  if (err instanceof StrataError) {
    // A container that could not start says what docker run would exit with (125, 126, 127).
    const exitCode = (err as { exitCode?: unknown }).exitCode;
    return new ResponseError(err.code, err.message, typeof exitCode === 'number' ? { exitCode } : undefined);
  }
  log(`${method}: internal error: ${err instanceof Error ? err.stack : String(err)}`);
  return new ResponseError(ErrorCode.Internal, `${method}: ${err instanceof Error ? err.message : String(err)}`);
}

export function serveConnection(engine: Engine, input: Readable, output: Writable, log: Logger, onClose?: () => void): MessageConnection {
  const framing = frameConnection(input, output, MAX_MESSAGE_BYTES, log, (why) => {
    log(`closing a connection: ${why}`);
    input.destroy();
    output.end();
  });
  const conn = createMessageConnection(framing.reader, framing.writer);
  const notify = <N extends keyof Notifications>(name: N, params: Notifications[N]) => {
    void conn.sendNotification(name, params).catch(() => undefined);
  };
  const state: ConnectionState = { engine, notify, detachers: new Map(), owner: {} };

  // One handler for every method (vscode-jsonrpc's star handler): it gets the params exactly as
  // sent. A per-method handler is called with the cancellation token in place of absent params
  // ("unknown field _isCancelled") and with by-position params spread, both of which the schema
  // must see as they are.
  //
  // Cancellation is JSON-RPC's own $/cancelRequest, which vscode-jsonrpc turns into the token here,
  // rather than a `work.cancel {token}` method: a request can be cancelled only by the connection
  // that sent it (no token another client could guess or replay), the helper needs no registry of
  // running work, VS Code's CancellationToken goes straight into sendRequest, and every long method
  // (debootstrap, later build and push) is cancellable the same way without a method of its own.
  // A connection that closes cancels what it asked for: nobody is left to use the result.
  const running = new Set<AbortController>();
  conn.onRequest(async (method: string, raw: unknown, cancel: CancellationToken) => {
    if (!Object.hasOwn(methods, method)) {
      log(`${method.slice(0, 80)} refused: no such method`);
      return new ResponseError(ErrorCode.MethodNotFound, `no such method: ${JSON.stringify(method.slice(0, 80))}`);
    }
    const name = method as MethodName;
    const started = Date.now();
    const work = new AbortController();
    running.add(work);
    const onCancel = cancel.onCancellationRequested(() => {
      log(`${name} cancelled by the client`);
      work.abort();
    });
    try {
      const params = methods[name].params.check(raw === undefined ? {} : raw, name) as ParamsOf<typeof name>;
      const result = await dispatch(name, params, state, { signal: work.signal });
      if (!name.startsWith('upload.write') && !name.startsWith('session.')) log(`${name} ok (${Date.now() - started} ms)`);
      return result ?? {};
    } catch (err) {
      const rerr = toResponseError(name, err, log);
      log(`${name} failed: ${rerr.message}`);
      return rerr;
    } finally {
      onCancel.dispose();
      running.delete(work);
    }
  });

  const onChanged = (e: Notifications['changed']) => notify('changed', e);
  const onProgress = (e: Notifications['progress']) => notify('progress', e);
  engine.events.on('changed', onChanged);
  engine.events.on('progress', onProgress);
  const stopWatching = onContainerFilesChanged(engine.ctx, (e) => notify('container.changed', e));

  let closed = false;
  const cleanup = () => {
    if (closed) return;
    closed = true;
    engine.events.off('changed', onChanged);
    engine.events.off('progress', onProgress);
    for (const work of running) work.abort();
    stopWatching();
    for (const detach of state.detachers.values()) detach();
    engine.uploads.abortOwnedBy(state.owner, 'the client went away');
    engine.downloads.abortOwnedBy(state.owner, 'the client went away');
    onClose?.();
  };
  conn.onClose(cleanup);
  conn.onError(() => undefined);
  input.on('close', cleanup);
  output.on?.('error', () => undefined);
  conn.listen();
  return conn;
}
