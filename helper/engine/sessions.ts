// A session is a process whose streams clients attach to: a container's main process (session id
// = container id) or an exec (a random id). Output goes to every attached listener; the process
// belongs to the helper, so it keeps running when its clients go away.
import type { ContainerProcess } from '../runtime';
import type { StreamName } from '../protocol/types';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export interface SessionListener {
  output(stream: StreamName, data: Buffer): void;
  exit(exitCode: number): void;
}

export class Session {
  readonly listeners = new Set<SessionListener>();
  process: ContainerProcess | null = null;
  exitCode: number | null = null;
  /** Resolves once the engine has recorded the exit (state saved, cgroups gone, listeners told). */
  exitHandled: Promise<void> = Promise.resolve();
  private drained: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly containerId: string,
    readonly tty: boolean,
    readonly openStdin: boolean,
  ) {}

  /** Connects a process's streams to whoever is attached now or later. */
  bind(proc: ContainerProcess): void {
    this.process = proc;
    this.exitCode = null;
    const forward = (stream: StreamName) => (chunk: Buffer | string) => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (const l of this.listeners) l.output(stream, data);
    };
    proc.stdout.on('data', forward('stdout'));
    proc.stderr?.on('data', forward('stderr'));
    const ended = (stream: NodeJS.ReadableStream) => new Promise<void>((resolve) => { stream.once('end', resolve); stream.once('close', resolve); });
    this.drained = Promise.all([ended(proc.stdout), proc.stderr ? ended(proc.stderr) : undefined]).then(() => undefined);
    // EPIPE on a container that exited while a client typed is not an error worth a crash.
    (proc.stdin as NodeJS.WritableStream & { on?: Function } | null)?.on?.('error', () => {});
  }

  /** Reports the exit after the last output (a process left holding the pipes gets 1 s). */
  async finish(exitCode: number): Promise<void> {
    await Promise.race([this.drained, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.exitCode = exitCode;
    this.process = null;
    for (const l of [...this.listeners]) l.exit(exitCode);
  }

  attach(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  running(): ContainerProcess {
    if (!this.process) throw new StrataError(ErrorCode.NotRunning, `container ${this.containerId.slice(0, 12)} is not running`);
    return this.process;
  }

  input(data: Buffer): void {
    const proc = this.running();
    if (!proc.stdin) throw new StrataError(ErrorCode.BadRequest, 'this session has no open stdin (start it with -i)');
    proc.stdin.write(data);
  }

  closeStdin(): void {
    this.process?.stdin?.end();
  }
}

export class Sessions {
  private readonly byId = new Map<string, Session>();

  add(session: Session): Session {
    this.byId.set(session.id, session);
    return session;
  }

  get(id: string): Session {
    const s = this.byId.get(id);
    if (!s) throw new StrataError(ErrorCode.NotFound, `no such session: ${id.slice(0, 12)}`);
    return s;
  }

  find(id: string): Session | undefined {
    return this.byId.get(id);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  all(): Session[] {
    return [...this.byId.values()];
  }
}
