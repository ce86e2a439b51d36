// The CLI talks to the helper that serves its store, starting one in the background when none
// runs (as a Docker user expects the daemon to be there), so containers outlive the command
// that started them.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { StrataClient } from '../protocol/client';
import { BUILD_ID } from '../protocol/methods';
import { helperEndpoint, parsePidFile, type HelperEndpoint } from '../protocol/endpoint';
import { storeRootProblem } from '../store/root-folder';

export class ConnectError extends Error {}

function tryConnect(path: string): Promise<net.Socket | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const sock = net.connect(path);
    sock.once('connect', () => { sock.removeAllListeners('error'); resolve(sock); });
    sock.once('error', (err: NodeJS.ErrnoException) => resolve(err));
  });
}

function helperScript(): string {
  const candidates = [join(__dirname, 'helper.js'), join(__dirname, '../../dist/helper.js'), join(__dirname, '../../../dist/helper.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new ConnectError(`the helper (dist/helper.js) is not built next to ${__dirname}: run npm run build`);
  return found;
}

/**
 * V8's options for the helper (every helper the CLI and the extension start comes from here). An
 * import streams its tar through the helper as Buffers, and with V8's limits for a small heap
 * (~9 MB live) every ~20 MB of them ended in a full mark-compact: 11 for the 204 MB minbase tar,
 * each deoptimising the tar reader's code for another thread to compile again. A first old-space
 * limit of 64 MB leaves 1-2 (measured 2026-12-03 with --trace-gc and perf stat on the helper and
 * its children: 53 mark-compacts over 5 imports against 4; 1.9-2.1 s of CPU an import against
 * 1.7 s). The limit applies only while the heap is small; it does not cap anything.
 */
const HELPER_NODE_FLAGS = ['--initial-old-space-size=64'];

async function startHelper(root: string, paths: HelperEndpoint): Promise<{ exited: () => boolean }> {
  // Loaded here, not at the top: most commands find a helper running, and child_process costs ~1 ms.
  const { spawn } = await import('node:child_process');
  // Before the helper's log is made there: a folder others use is not taken over (store/root-folder.ts).
  const problem = storeRootProblem(root);
  if (problem) throw new ConnectError(problem);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const log = openSync(paths.log, 'a', 0o600);
  // bin/strata set NODE_EXTRA_CA_CERTS aside to start faster; the helper gets it back.
  const { STRATA_NODE_EXTRA_CA_CERTS: extraCerts, ...env } = process.env;
  if (extraCerts !== undefined) env.NODE_EXTRA_CA_CERTS = extraCerts;
  const child = spawn(process.execPath, [...HELPER_NODE_FLAGS, helperScript(), '--root', root, '--idle-timeout', process.env.STRATA_IDLE_TIMEOUT ?? '600'], {
    env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  let exited = false;
  child.once('exit', () => { exited = true; });
  child.unref();
  closeSync(log);
  return { exited: () => exited };
}

/** The pid the store's lock holder wrote (protocol/endpoint.ts), if any. */
function pidFileHolder(pidFile: string): number | undefined {
  try {
    return parsePidFile(readFileSync(pidFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The helper's last words, for an error message that says why it did not start. */
function lastLogLine(paths: HelperEndpoint): string {
  try {
    const lines = readFileSync(paths.log, 'utf8').trim().split('\n');
    return lines[lines.length - 1] ?? '';
  } catch {
    return '';
  }
}

function clientOn(sock: net.Socket): StrataClient {
  const conn = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
  conn.onDispose(() => sock.destroy()); // the helper counts open connections before it idles out
  conn.listen();
  return new StrataClient(conn);
}

/**
 * A client of the helper serving `root`. A helper started from another build of Strata (an
 * upgrade while it ran) may not speak this build's protocol: it is replaced when no container of
 * it runs (they live in it), and otherwise kept, with a warning that says what to do.
 */
export async function connect(root: string, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<StrataClient> {
  const first = await openHelper(root);
  const client = clientOn(first.sock);
  if (first.started) return client;
  const info = await client.request('store.info', {});
  if (info.build === BUILD_ID) return client;
  const other = `strata: the helper serving ${root} (pid ${info.helperPid}) was started from another build of Strata`;
  const running = (await client.request('containers.list', { all: false })).length;
  if (running > 0) {
    warn(`${other}; it keeps serving while its ${running} running container(s) live in it. Stop them (strata ps) and the next command starts this build's helper.`);
    return client;
  }
  // The pid to signal is the one the store's lock holder wrote, not only what the socket said: a
  // signal from root must reach the store's helper and no other process.
  if (pidFileHolder(helperEndpoint(root).pidFile) !== info.helperPid || process.getuid?.() !== 0) {
    warn(`${other}; restart it as root (sudo kill ${info.helperPid}: the next command starts this build's).`);
    return client;
  }
  client.dispose();
  await stopHelper(info.helperPid);
  return clientOn((await openHelper(root)).sock);
}

/** SIGTERM (the helper's orderly stop), then waits up to 10 s for the process to be gone. */
async function stopHelper(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already
  }
  for (let i = 0; i < 400; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new ConnectError(`the helper (pid ${pid}) from another build of Strata did not stop within 10 s`);
}

/**
 * Opens further connections to the helper serving `root` (one is already open, so it runs): a
 * raw upload's bytes travel on one of these, not as base64 in JSON-RPC (protocol/raw-upload.ts).
 */
export function rawChannelOpener(root: string): () => Promise<net.Socket> {
  const path = helperEndpoint(root).socket;
  return async () => {
    const res = await tryConnect(path);
    if (res instanceof net.Socket) return res;
    throw new ConnectError(`cannot open an upload connection to ${path}: ${res.message}`);
  };
}

/** A socket to the helper serving `root`, started in the background if none runs. */
export async function openHelperSocket(root: string): Promise<net.Socket> {
  return (await openHelper(root)).sock;
}

async function openHelper(root: string): Promise<{ sock: net.Socket; started: boolean }> {
  const paths = helperEndpoint(root);
  let started: { exited: () => boolean } | undefined;
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await tryConnect(paths.socket);
    if (res instanceof net.Socket) return { sock: res, started: started !== undefined };
    if (res.code === 'EACCES' || res.code === 'EPERM') {
      throw new ConnectError(`permission denied on ${paths.socket}: the Strata store ${root} belongs to root; run strata with sudo`);
    }
    if (!started) {
      if (process.getuid?.() !== 0) {
        throw new ConnectError(`no Strata helper is running for ${root}, and starting one needs root: run strata with sudo`);
      }
      started = await startHelper(root, paths);
    } else if (started.exited()) {
      const why = lastLogLine(paths);
      throw new ConnectError(`the Strata helper for ${root} stopped at start-up${why ? `: ${why.replace(/^strata helper: /, '')}` : ''} (log: ${paths.log})`);
    }
    await new Promise((r) => setTimeout(r, attempt < 20 ? 25 : 100));
  }
  throw new ConnectError(`the Strata helper for ${root} did not start; its log is ${paths.log}`);
}
