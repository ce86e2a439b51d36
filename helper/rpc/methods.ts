// Every protocol method, served once: the engine's tables (each row with its lock) and the few
// methods that belong to a connection (rpc/handlers.ts).
import { checkMethods } from '../engine/check';
import { commitMethods } from '../engine/commit';
import { containerMethods } from '../engine/containers';
import { debootstrapMethods } from '../engine/debootstrap';
import { execMethods } from '../engine/exec';
import { fileMethods } from '../engine/files';
import { imageMethods } from '../engine/images';
import { type Call, type MethodImpl, runMethod, type Served } from '../engine/method-table';
import { pauseMethods } from '../engine/pause';
import { registryMethods } from '../engine/registry';
import { removeImageMethods } from '../engine/remove-image';
import { systemMethods } from '../engine/system';
import { methods, type MethodName, type ParamsOf, type ResultOf } from '../protocol/methods';
import { connectionHandlers, type ConnectionState } from './handlers';

/** The engine's tables, in the order they are merged. */
export const engineTables = [
  systemMethods, imageMethods, removeImageMethods, fileMethods, containerMethods, pauseMethods, commitMethods, execMethods,
  debootstrapMethods,
  checkMethods,
  registryMethods,
];

/**
 * Each protocol method's one implementation. The type makes a missing method a compile error;
 * `servedTwice` (checked at load and by test/unit/rpc-methods.test.ts) catches one served twice,
 * which a spread would silently resolve.
 */
const engineMethods = Object.assign({}, ...engineTables) as { [M in MethodName]?: MethodImpl<M> };
const served: Record<MethodName, unknown> = {
  ...systemMethods, ...imageMethods, ...removeImageMethods, ...fileMethods, ...containerMethods, ...pauseMethods, ...commitMethods, ...execMethods,
  ...debootstrapMethods,
  ...checkMethods,
  ...registryMethods,
  ...connectionHandlers,
};

/** Protocol methods served by more than one table, or by none. */
export function servingErrors(): string[] {
  const counts = new Map<string, number>();
  for (const table of [...engineTables, connectionHandlers]) for (const name of Object.keys(table)) counts.set(name, (counts.get(name) ?? 0) + 1);
  const errors = [...counts].filter(([, n]) => n > 1).map(([name, n]) => `${name} is served ${n} times`);
  for (const name of Object.keys(methods)) if (!counts.has(name)) errors.push(`${name} is not served`);
  for (const name of counts.keys()) if (!(name in methods)) errors.push(`${name} is not in the protocol`);
  return errors;
}
const errors = servingErrors();
if (errors.length || Object.keys(served).length !== Object.keys(methods).length) throw new Error(`rpc/methods.ts: ${errors.join('; ')}`);

/**
 * Calls the one implementation of `name` with validated params; `call.signal` is its cancellation.
 * Its result goes to the connection's writer, which sends a JsonText's bytes as they are.
 */
export function dispatch<M extends MethodName>(name: M, params: ParamsOf<M>, state: ConnectionState, call?: Call): Promise<Served<M>> {
  const impl = engineMethods[name] as MethodImpl<M> | undefined;
  if (impl) return runMethod(state.engine.ctx, impl, params, call);
  const handler = (connectionHandlers as Record<string, (p: unknown, s: ConnectionState) => unknown>)[name];
  return Promise.resolve().then(() => handler(params, state) as ResultOf<M>);
}
