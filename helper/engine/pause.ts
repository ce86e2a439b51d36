// pause and unpause, as Docker's: every process of the container frozen where it is (the cgroup
// freezer), keeping its memory, and going on from there when thawed. A commit takes a paused
// container as it is and leaves it paused. Stop, kill and rm thaw it first: a frozen process acts
// on no signal until it is thawed (under the v1 freezer, not even on SIGKILL).
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { freeze, thaw } from '../runtime';
import type { ContainerRecord } from '../store';
import type { EngineContext } from './context';
import type { MethodTable } from './method-table';

function runningRecord(ctx: EngineContext, id: string): ContainerRecord {
  const rec = ctx.store.containers.get(id);
  if (!rec || !ctx.sessions.find(id)?.process) throw new StrataError(ErrorCode.NotRunning, `Container ${id.slice(0, 12)} is not running`);
  return rec;
}

/** Records the state on the record as it is now (the container may have exited while it froze). */
async function setPaused(ctx: EngineContext, id: string, paused: boolean): Promise<void> {
  const now = ctx.store.containers.get(id);
  if (!now || (paused && now.status !== 'running')) return;
  await ctx.store.containers.save({ ...now, paused });
  ctx.events.emit('changed', { what: 'containers', id });
}

/** Under the container's lock (its table row): `id` is the full id. */
async function pauseContainer(ctx: EngineContext, id: string): Promise<{ id: string }> {
  const rec = runningRecord(ctx, id);
  if (rec.paused) throw new StrataError(ErrorCode.InUse, `Container ${id} is already paused`);
  await freeze(id);
  await setPaused(ctx, id, true);
  return { id };
}

async function unpauseContainer(ctx: EngineContext, id: string): Promise<{ id: string }> {
  const rec = runningRecord(ctx, id);
  if (!rec.paused) throw new StrataError(ErrorCode.InUse, `Container ${id} is not paused`);
  await thaw(id);
  await setPaused(ctx, id, false);
  return { id };
}

/** Before a signal is sent to it: a paused container is thawed, and is no longer paused. */
export async function thawIfPaused(ctx: EngineContext, id: string): Promise<void> {
  const rec = ctx.store.containers.get(id);
  if (!rec?.paused) return;
  await thaw(id).catch(() => undefined); // gone meanwhile: nothing is frozen any more
  await setPaused(ctx, id, false);
}

export const pauseMethods = {
  'container.pause': { lock: 'container', run: (ctx, p) => pauseContainer(ctx, p.id) },
  'container.unpause': { lock: 'container', run: (ctx, p) => unpauseContainer(ctx, p.id) },
} satisfies MethodTable<'container.pause' | 'container.unpause'>;
