// The terminal of a build run from VS Code, named for its image: the helper's output as
// `strata build` prints it (Docker's classic builder's lines and each RUN's own), steps in bold,
// cached steps marked, stderr in red. Ctrl-C in it, or closing it, cancels the build (the helper
// stops the running step's container and keeps nothing).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { StrataClient } from '../../helper/protocol';
import { DIM, RED, RESET, Transcript } from './ansi';

const BOLD = '\x1b[1m';
const GREEN = '\x1b[32m';

export class BuildPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  /** The build's output session (the helper sends its output under it; detaching it cancels). */
  readonly session = randomBytes(32).toString('hex');
  private readonly shown = new Transcript();
  private readonly decoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
  private readonly opened: Promise<void>;
  private markOpen!: () => void;
  private client: StrataClient | undefined;
  private sub: { dispose(): void } | undefined;
  private running = false;
  private pendingLine = '';

  constructor() {
    this.opened = new Promise((resolve) => { this.markOpen = resolve; });
  }

  open(): void {
    this.markOpen();
  }

  /** Resolves once VS Code shows the terminal (what is written before would be lost). */
  ready(): Promise<void> {
    return this.opened;
  }

  /** Starts showing the output of `session` from `client`. */
  attach(client: StrataClient): void {
    this.client = client;
    this.running = true;
    this.sub = client.on('session.output', (p) => {
      if (p.session !== this.session) return;
      const text = this.decoders[p.stream].decode(Buffer.from(p.data, 'base64'), { stream: true });
      if (p.stream === 'stderr') this.write(`${RED}${text.replace(/\r?\n/g, '\r\n')}${RESET}`);
      else this.stdout(text);
    });
  }

  /** Builder lines get their marks; a line is styled once whole. */
  private stdout(text: string): void {
    const lines = (this.pendingLine + text).split('\n');
    this.pendingLine = lines.pop() ?? '';
    for (const line of lines) this.write(`${this.style(line)}\r\n`);
  }

  private style(line: string): string {
    if (line.startsWith('Step ')) return `${BOLD}${line}${RESET}`;
    if (line === ' ---> Using cache') return `${GREEN} ---> Using cache (CACHED)${RESET}`;
    if (/^Successfully (built|tagged) /.test(line)) return `${GREEN}${line}${RESET}`;
    return line;
  }

  /** The last line of the build: how it ended. */
  finish(message: string, ok: boolean): void {
    if (this.pendingLine) { this.write(`${this.pendingLine}\r\n`); this.pendingLine = ''; }
    this.running = false;
    this.sub?.dispose();
    this.write(`${ok ? DIM : RED}${message}${RESET}\r\n`);
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.running) this.cancel();
  }

  cancel(): void {
    if (!this.running || !this.client) return;
    this.write(`${DIM}^C (cancelling the build)${RESET}\r\n`);
    void this.client.request('session.detach', { session: this.session }).catch(() => undefined);
  }

  private write(text: string): void {
    this.shown.add(text);
    this.writeEmitter.fire(text);
  }

  /** The last few kilobytes shown: for tests and bug reports. */
  transcript(): string {
    return this.shown.text();
  }

  close(): void {
    this.cancel();
    this.sub?.dispose();
    this.writeEmitter.dispose();
  }
}
