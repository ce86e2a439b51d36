// `exec`: another process in a running container's namespaces, as its own session. Created first
// and started after the client attached, so no output is lost.
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { execIn } from '../runtime';
import { randomId } from '../store/ids';
import type { EngineContext } from './context';
import type { MethodTable } from './method-table';
import { processEnv } from './env';
import { Session } from './sessions';
import { processSecurity } from './containers';

export interface ExecSpec {
  cmd: string[];
  tty: boolean;
  openStdin: boolean;
  env: string[];
  workdir?: string;
  user?: string;
}

const pending = new Map<string, ExecSpec>();

export function createExec(ctx: EngineContext, ref: string, spec: ExecSpec): { session: string } {
  const rec = ctx.store.containers.resolve(ref);
  // Docker's words: the full id when stopped, the name as given when paused.
  if (!ctx.sessions.find(rec.id)?.process) throw new StrataError(ErrorCode.NotRunning, `Container ${rec.id} is not running`);
  if (rec.paused) throw new StrataError(ErrorCode.InUse, `Container ${ref} is paused, unpause the container before exec`);
  if (spec.cmd.length === 0) throw new StrataError(ErrorCode.InvalidParams, 'exec needs a command');
  const session = ctx.sessions.add(new Session(randomId(), rec.id, spec.tty, spec.openStdin));
  pending.set(session.id, spec);
  return { session: session.id };
}

async function startExec(ctx: EngineContext, sessionId: string, size?: { cols: number; rows: number }): Promise<{ session: string }> {
  const session = ctx.sessions.get(sessionId);
  const spec = pending.get(sessionId);
  if (!spec) throw new StrataError(ErrorCode.BadRequest, 'this exec session was already started');
  pending.delete(sessionId);
  const rec = ctx.store.containers.get(session.containerId);
  const main = ctx.sessions.find(session.containerId)?.process;
  if (!rec || !main) throw new StrataError(ErrorCode.NotRunning, `Container ${session.containerId.slice(0, 12)} is not running`);
  const proc = await execIn({ pid: main.pid, id: rec.id }, {
    cmd: spec.cmd, env: processEnv(rec.hostname, spec.tty, rec.options.env, spec.env), cwd: spec.workdir ?? rec.options.workdir ?? '/', user: spec.user ?? rec.options.user ?? '',
    tty: spec.tty, openStdin: spec.openStdin, size,
    // As Docker: an exec'd process has the container's capabilities, no_new_privs and ulimits.
    ...processSecurity(rec.options),
  });
  session.bind(proc);
  void proc.exited.then(async (code) => {
    await session.finish(code);
    // Give attached clients a moment to read the exit before the session is forgotten.
    setTimeout(() => ctx.sessions.delete(sessionId), 60_000).unref();
  });
  return { session: sessionId };
}

export const execMethods = {
  'exec.start': { lock: 'none', run: (ctx, p) => startExec(ctx, p.session, p.size) },
} satisfies MethodTable<'exec.start'>;
