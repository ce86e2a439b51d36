// Where a store's helper is reached: what a client needs to find the helper serving a store, start
// one, and (as root) replace one from another build. These names are the helper's public face, as
// /run/docker.sock and docker.pid are dockerd's; clients (the CLI, the extension) use them and
// nothing else of the store: everything else they learn by asking the helper.
// Pure: no fs, no vscode (both sides import it).
import { posix } from 'node:path';

export const DEFAULT_ROOT = '/var/lib/strata';

export interface HelperEndpoint {
  /** The JSON-RPC socket (mode 0660 in the 0700 root). */
  socket: string;
  /** The pid of the helper that holds the store (store/lock.ts writes it). */
  pidFile: string;
  /** What an auto-started helper prints. */
  log: string;
}

export function helperEndpoint(root: string): HelperEndpoint {
  return { socket: posix.join(root, 'helper.sock'), pidFile: posix.join(root, 'helper.pid'), log: posix.join(root, 'helper.log') };
}

/** The pid in a pid file's text, or undefined when it holds none. */
export function parsePidFile(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}
