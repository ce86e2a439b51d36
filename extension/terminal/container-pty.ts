// A real terminal on a container's pty, through the helper: what the shell writes comes as
// session.output notifications, what the user types goes as session.input, a resize of the panel
// as session.resize (the shell gets SIGWINCH, so vi and top redraw), and Ctrl-C is just byte 3 to
// the pty, whose line discipline makes it SIGINT, as in any terminal. Closing the terminal only
// detaches: the container keeps running and "Open shell" attaches to it again.
import * as vscode from 'vscode';
import type { StrataClient } from '../../helper/protocol';
import type { Helper } from '../client/helper';
import { DIM, RED, RESET, Transcript } from './ansi';
import { chooseShell } from './shell-choice';
import { shortId } from '../tree/format';

/**
 * A new container from an image (`shell`: the shell to run, else chosen, see shell-choice.ts);
 * attach to a container's own process (as `strata attach`); or a new shell process in a running
 * container (`exec`, as `strata exec -it ID sh`): Container Tools offers both, and so does Strata.
 */
export type ShellTarget = { image: string; shell?: string } | { container: string } | { exec: string; shell?: string };

export interface ShellOptions {
  network: 'none' | 'host';
  /** strata.shell: the shell a new container runs; empty: chosen from the image. */
  shell: string;
  /** Called when opening failed, so the error also reaches the user as a message (a command that awaits `ready` reports it itself). */
  onError?(err: unknown): void;
}


export class ContainerPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  private readonly nameEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  readonly onDidChangeName = this.nameEmitter.event;
  private client: StrataClient | undefined;
  private session: string | undefined;
  private failed = false;
  private closed = false;
  /** Its container stopped; the terminal shows that until a key closes it. */
  private ended = false;
  private size: vscode.TerminalDimensions | undefined;
  private readonly subs: { dispose(): void }[] = [];
  private readonly decoder = new TextDecoder('utf-8');
  private readonly shown = new Transcript();
  private resolveReady!: (v: { containerId: string; session: string }) => void;
  private rejectReady!: (err: unknown) => void;
  /** Settles once the shell runs (its container id), or with why it could not start. */
  readonly ready = new Promise<{ containerId: string; session: string }>((resolve, reject) => {
    this.resolveReady = resolve;
    this.rejectReady = reject;
  });
  containerId: string | undefined;

  constructor(private readonly helper: Helper, readonly target: ShellTarget, private readonly options: ShellOptions) {
    this.ready.catch(() => undefined);
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.size = dimensions;
    void this.start().catch((err: unknown) => {
      this.failed = true;
      this.write(`${RED}Strata: ${(err as Error).message}${RESET}\r\n${DIM}(press any key to close this terminal)${RESET}\r\n`);
      this.rejectReady(err);
      this.options.onError?.(err);
    });
  }

  private async start(): Promise<void> {
    const client = (this.client = await this.helper.client());
    if ('exec' in this.target) return this.startExec(client, this.target.exec, this.target.shell);
    let id: string;
    if ('image' in this.target) {
      const shell = await chooseShell(client, this.target.image, this.target.shell ?? this.options.shell);
      this.write(`${DIM}Starting a new container from ${this.target.image} running ${shell.cmd.join(' ')} (${shell.why})…${RESET}\r\n`);
      // TERM as docker run -t sets it, so that vi and top know the terminal; a PS1 the chosen shell
      // expands, so that its prompt says root@<hostname>:/# like the article's bash.
      const env = ['TERM=xterm-256color', ...(shell.ps1 ? [`PS1=${shell.ps1}`] : [])];
      ({ id } = await client.request('container.create', {
        image: this.target.image,
        options: { tty: true, openStdin: true, cmd: shell.cmd, env, network: this.options.network, autoRemove: false },
      }));
    } else {
      id = this.target.container;
    }
    this.containerId = id;
    this.nameEmitter.fire(`strata ${shortId(id)}`);
    this.listen(client);
    const attached = await client.request('container.attach', { id, stdin: true });
    this.session = attached.session;
    const size = this.size ? { cols: this.size.columns, rows: this.size.rows } : undefined;
    if (!attached.running) {
      await client.request('container.start', { id, size });
    } else {
      if (size) await client.request('session.resize', { session: attached.session, ...size }).catch(() => undefined);
      this.write(`${DIM}Attached to container ${shortId(id)} (press Enter for a prompt).${RESET}\r\n`);
    }
    if (!attached.tty) this.write(`${DIM}(this container has no terminal: input and output are plain streams)${RESET}\r\n`);
    this.resolveReady({ containerId: id, session: attached.session });
  }

  /** A new shell process in the running container `ref`, chosen for its image as for a new container. */
  private async startExec(client: StrataClient, ref: string, shellArg: string | undefined): Promise<void> {
    const detail = await client.request('container.inspect', { id: ref });
    const shell = await chooseShell(client, detail.imageId, shellArg ?? this.options.shell);
    this.containerId = detail.id;
    this.nameEmitter.fire(`strata exec ${shortId(detail.id)}`);
    this.listen(client);
    const env = ['TERM=xterm-256color', ...(shell.ps1 ? [`PS1=${shell.ps1}`] : [])];
    const { session } = await client.request('container.exec', { id: detail.id, cmd: shell.cmd, tty: true, openStdin: true, env });
    this.session = session;
    const size = this.size ? { cols: this.size.columns, rows: this.size.rows } : undefined;
    await client.request('exec.start', { session, size });
    this.resolveReady({ containerId: detail.id, session });
  }

  /** Output and exit of this terminal's session, heard before it starts, so not a byte of the first prompt is lost. */
  private listen(client: StrataClient): void {
    this.subs.push(
      client.on('session.output', (p) => { if (p.session === this.session) this.output(p.data); }),
      client.on('session.exit', (p) => { if (p.session === this.session) this.exited(p.exitCode); }),
    );
    client.lost.catch(() => {
      if (this.closed) return;
      this.session = undefined;
      this.ended = true;
      this.write(`\r\n${RED}Strata: the connection to the helper was lost.${RESET} ${DIM}(press any key to close this terminal)${RESET}\r\n`);
    });
  }


  private output(data: string): void {
    this.write(this.decoder.decode(Buffer.from(data, 'base64'), { stream: true }));
  }

  private write(text: string): void {
    this.shown.add(text);
    this.writeEmitter.fire(text);
  }

  /** True once its container stopped (the terminal then waits for a key to close). */
  get stopped(): boolean {
    return this.ended;
  }

  /** The last few kilobytes the shell wrote (escape sequences included): for tests and bug reports. */
  transcript(): string {
    return this.shown.text();
  }

  /**
   * The container's process ended. A shell the user left (`exit`, code 0) closes its terminal, as
   * any terminal does. Otherwise (Stop, a kill, a failing command) the terminal stays with a line
   * saying so, until a key closes it: handing VS Code the exit code would pop "The terminal process
   * terminated with exit code: 137" and an "Open Help" button for a stop the user asked for
   * (issue 10, item 3).
   */
  private exited(code: number): void {
    this.session = undefined;
    if (code === 0) {
      this.closed = true;
      this.closeEmitter.fire();
      return;
    }
    this.ended = true;
    const short = this.containerId ? shortId(this.containerId) : '';
    const what = 'exec' in this.target ? `the shell in container ${short} ended` : `container ${short} stopped`;
    this.write(`\r\n${DIM}${what} (exit code ${code}); press any key to close this terminal${RESET}\r\n`);
  }

  handleInput(data: string): void {
    if (this.failed || this.ended) {
      this.closed = true;
      this.closeEmitter.fire();
      return;
    }
    if (!this.session || !this.client) return;
    void this.client.request('session.input', { session: this.session, data: Buffer.from(data, 'utf8').toString('base64') }).catch(() => undefined);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.size = dimensions;
    if (!this.session || !this.client) return;
    void this.client.request('session.resize', { session: this.session, cols: dimensions.columns, rows: dimensions.rows }).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    if (this.session && this.client) void this.client.request('session.detach', { session: this.session }).catch(() => undefined);
    this.session = undefined;
    for (const s of this.subs) s.dispose();
    this.writeEmitter.dispose();
    this.nameEmitter.dispose();
  }
}
