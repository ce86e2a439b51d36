// How the extension reaches the root helper. Four ways, one byte stream each:
//   direct  VS Code itself runs as root: spawn `node dist/helper.js --root R --connect`
//   sudo    the same through `sudo -n` (a sudoers rule lets the user run it without a password)
//   pkexec  the same through pkexec (polkit asks for the password in the desktop's own dialog)
//   socket  net.connect to a helper run as a system service (strata.helper.socket)
// --connect makes the spawned process a relay to the store's helper daemon (started if none
// runs), so the extension and the `strata` command see the same containers.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import net from 'node:net';
import { delimiter, join } from 'node:path';
import { Writable } from 'node:stream';

export type LaunchMode = 'direct' | 'sudo' | 'pkexec' | 'socket';

export interface Transport {
  readonly mode: LaunchMode;
  /** What the status bar and the log say about this way in. */
  readonly describe: string;
  readonly reader: NodeJS.ReadableStream;
  readonly writer: NodeJS.WritableStream;
  /** Resolves with a reason once the process or socket has ended. */
  readonly ended: Promise<string>;
  /**
   * A new connection to the helper's socket, for an upload's raw bytes: with the socket transport,
   * and with the direct relay (VS Code as root may open the store's socket itself). Through sudo
   * or pkexec the socket is out of reach (the store is root's, 0700): uploads go as base64.
   */
  readonly openRawChannel?: () => Promise<net.Socket>;
  close(): void;
}

/** A program on the PATH, as an absolute path (sudo's secure_path may not hold the user's PATH). */
export function findOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* not here */ }
  }
  return undefined;
}

/**
 * The Node that runs the helper. In code-server the extension host is plain Node (execPath is
 * right); in desktop VS Code it is Electron, which must not run the helper: use `node` from PATH.
 */
export function helperNode(): string {
  if (!process.versions.electron) return process.execPath;
  const node = findOnPath('node');
  if (!node) throw new Error('Strata needs Node.js 20 or later on the PATH to run its helper (desktop VS Code runs extensions in Electron, which cannot run it)');
  return node;
}

export function helperScript(extensionPath: string): string {
  const script = join(extensionPath, 'dist', 'helper.js');
  if (!existsSync(script)) throw new Error(`the Strata helper is missing (${script}); rebuild the extension (npm run build)`);
  return script;
}

/** The command line that starts a relay to the store's helper, as `mode` runs it. */
export function helperCommand(mode: Exclude<LaunchMode, 'socket'>, extensionPath: string, storeRoot: string): string[] {
  const base = [helperNode(), helperScript(extensionPath), '--root', storeRoot, '--connect'];
  if (mode === 'sudo') return ['sudo', '-n', ...base];
  if (mode === 'pkexec') return ['pkexec', ...base];
  return base;
}

/**
 * A relay process (helper.js --connect, directly or through sudo/pkexec) on stdio. `rawSocket`: the
 * store's helper socket, when this process may open it too (direct: VS Code runs as root), so
 * that uploads travel raw there instead of as base64 through the relay.
 */
export function spawnTransport(mode: Exclude<LaunchMode, 'socket'>, argv: string[], onStderr: (line: string) => void, rawSocket?: string): Transport {
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
  let stderrTail = '';
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-2000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onStderr(line);
  });
  const ended = new Promise<string>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? `${argv[0]} is not installed (not found on the PATH)` : `${argv[0]}: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (partial.trim()) onStderr(partial);
      const said = stderrTail.trim().split('\n').filter(Boolean).at(-1);
      resolve(said ?? `${argv[0]} exited with ${signal ?? `code ${code}`}`);
    });
  });
  // A write after the relay ended must not become an uncaught error in the extension host, nor a
  // rejected write that vscode-jsonrpc hands back to nobody (seen after a refused sudo): once
  // stdin is closed, writes go nowhere, and the connection learns of the end from `ended`.
  const stdin = child.stdin!;
  stdin.on('error', () => undefined);
  const writer = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (stdin.writableEnded || stdin.destroyed) return done();
      stdin.write(chunk, () => done());
    },
  });
  const names = { direct: 'root (VS Code runs as root)', sudo: 'sudo -n', pkexec: 'pkexec' } as const;
  return {
    mode,
    describe: names[mode],
    reader: child.stdout!,
    writer,
    ended,
    ...(rawSocket ? { openRawChannel: rawChannelTo(rawSocket) } : {}),
    close: () => {
      stdin.end();
      // The relay exits when its stdin ends; a stuck one is stopped (the helper daemon stays).
      setTimeout(() => { if (child.exitCode === null) child.kill(); }, 2000).unref();
    },
  };
}

/** Opens connections to the helper's socket for raw uploads (protocol/raw-upload.ts). */
function rawChannelTo(path: string): () => Promise<net.Socket> {
  return () => new Promise<net.Socket>((ok, fail) => {
    const raw = net.connect(path);
    raw.once('connect', () => { raw.removeAllListeners('error'); ok(raw); });
    raw.once('error', (err) => fail(new Error(`cannot open an upload connection to ${path}: ${err.message}`)));
  });
}

export function socketTransport(path: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EACCES' || err.code === 'EPERM'
        ? `permission denied on ${path}: add your user to the socket's group (chgrp/chmod it, see the README)`
        : err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? `no helper is listening on ${path} (${err.code})`
          : `${path}: ${err.message}`;
      reject(new Error(why));
    });
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      sock.on('error', () => undefined);
      const ended = new Promise<string>((r) => sock.once('close', () => r(`the helper socket ${path} closed`)));
      resolve({ mode: 'socket', describe: `socket ${path}`, reader: sock, writer: sock, ended, openRawChannel: rawChannelTo(path), close: () => sock.end() });
    });
  });
}
