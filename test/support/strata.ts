// Runs the real `strata` command (dist/cli.js) against a store of the test's own, and cleans up:
// the helper that the CLI starts in the background is stopped, the store removed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { buildBusyboxRootfs } from '../../helper/sources/busybox';
import { openHelperSocket } from '../../helper/cli/connect';
import { StrataClient } from '../../helper/protocol';

export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'helper'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const CLI = join(repoRoot(), 'dist/cli.js');
export const HELPER = join(repoRoot(), 'dist/helper.js');

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (namespaces, mounts, cgroups): run npm test as root');
}

export interface CliResult { code: number; stdout: string; stderr: string }

export class TestStore {
  private constructor(readonly root: string) {}

  /** A store at `root`, which the caller made and removes (close() is not for it). */
  static at(root: string): TestStore {
    requireRoot();
    return new TestStore(root);
  }

  static create(label = 'store'): TestStore {
    requireRoot();
    return new TestStore(join(mkdtempSync(join(tmpdir(), `strata-test-${label}-`)), 'root'));
  }

  async cli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<CliResult> {
    // "--" as bin/strata passes it: Node 20 would read a `run --env-file` as its own option
    const r = await execa(process.execPath, [CLI, '--', '--root', this.root, ...args], {
      input: opts.input, reject: false, env: { STRATA_IDLE_TIMEOUT: '120', ...opts.env }, stripFinalNewline: false, timeout: 120_000,
    });
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /** Runs the CLI and fails the test, showing stderr, unless it exits 0. */
  async ok(args: string[], opts: { input?: string | Buffer } = {}): Promise<string> {
    const r = await this.cli(args, opts);
    if (r.code !== 0) throw new Error(`strata ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** A typed client on the store's helper (started if none runs), as the extension has one. */
  async client(): Promise<StrataClient> {
    const sock = await openHelperSocket(this.root);
    const conn = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
    conn.listen();
    return new StrataClient(conn);
  }

  helperPid(): number | undefined {
    try {
      return Number(readFileSync(join(this.root, 'helper.pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  }

  async stopHelper(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pid = this.helperPid();
    if (!pid) return;
    try { process.kill(pid, signal); } catch { return; }
    for (let i = 0; i < 200; i++) {
      try { process.kill(pid, 0); } catch { return; }
      await new Promise((r) => setTimeout(r, 25));
    }
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }

  async close(): Promise<void> {
    await this.stopHelper();
    await fs.rm(dirname(this.root), { recursive: true, force: true });
  }
}

/** A busybox root fs folder and its tar made with GNU tar, as the article's user makes one. */
export async function busyboxTarball(dir: string): Promise<{ rootfs: string; tar: string }> {
  const rootfs = join(dir, 'busybox-rootfs');
  const tar = join(dir, 'busybox.tar');
  await buildBusyboxRootfs(rootfs);
  execFileSync('tar', ['-C', rootfs, '-c', '-f', tar, '.']);
  return { rootfs, tar };
}

export function sha256sum(file: string): string {
  return 'sha256:' + execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
}

/**
 * What a folder holds: every path under it with its mode and the start of a file's bytes (a
 * store's helper.pid, .sock and .log left out), to show that a refused operation changed nothing.
 */
export function treeSnapshot(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = p.slice(base.length + 1);
    if (/^helper\.(pid|sock|log)$/.test(rel)) continue;
    const st = lstatSync(p);
    // Every file's whole content, by hash: "unchanged" means byte for byte.
    out.push(`${rel} ${st.mode.toString(8)} ${st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : st.isSymbolicLink() ? readlinkSync(p) : ''}`);
    if (st.isDirectory()) out.push(...treeSnapshot(p, base));
  }
  return out;
}
