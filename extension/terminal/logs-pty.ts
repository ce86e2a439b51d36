// A read-only terminal with a container's logs, as `strata logs -f` shows them: what it printed
// so far (kept by the helper, engine/logs.ts), then each new line while it runs, and a last line
// when it stops. stderr is shown in red. Closing the terminal stops following.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { StrataClient } from '../../helper/protocol';
import type { Helper } from '../client/helper';
import { DIM, RED, RESET, Transcript } from './ansi';


export class LogsPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly session = randomBytes(32).toString('hex');
  private client: StrataClient | undefined;
  private readonly subs: { dispose(): void }[] = [];
  private readonly decoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
  private readonly shown = new Transcript();
  private ended = false;
  /** The container has a terminal: its output already has CR LF. */
  private tty = false;

  constructor(private readonly helper: Helper, readonly containerId: string) {}

  open(): void {
    void this.start().catch((err: unknown) => this.write(`${RED}Strata: ${(err as Error).message}${RESET}\r\n`));
  }

  private async start(): Promise<void> {
    const client = (this.client = await this.helper.client());
    this.subs.push(
      client.on('session.output', (p) => { if (p.session === this.session) this.output(p.stream, p.data); }),
      client.on('session.exit', (p) => {
        if (p.session !== this.session) return;
        this.ended = true;
        this.write(`\r\n${DIM}(the container is not running: its logs end here)${RESET}\r\n`);
      }),
    );
    ({ tty: this.tty } = await client.request('container.logs', { id: this.containerId, session: this.session, follow: true }));
  }

  private output(stream: 'stdout' | 'stderr', data: string): void {
    let text = this.decoders[stream].decode(Buffer.from(data, 'base64'), { stream: true });
    // A container without a terminal writes bare newlines; a terminal needs CR LF to start lines.
    if (!this.tty) text = text.replace(/\r?\n/g, '\r\n');
    this.write(stream === 'stderr' ? `${RED}${text}${RESET}` : text);
  }

  private write(text: string): void {
    this.shown.add(text);
    this.writeEmitter.fire(text);
  }

  /** The last few kilobytes shown: for tests and bug reports. */
  transcript(): string {
    return this.shown.text();
  }

  /** True once the logs ended (the container stopped, or was not running). */
  get done(): boolean {
    return this.ended;
  }

  close(): void {
    if (!this.ended && this.client) void this.client.request('session.detach', { session: this.session }).catch(() => undefined);
    for (const s of this.subs) s.dispose();
    this.writeEmitter.dispose();
  }
}
