// --restart: the helper restarts the containers it owns, as Docker's daemon does.
//  - no: never. on-failure[:N]: after a non-zero exit, at most N times (N=0: no limit).
//    always: after any exit. unless-stopped: as always.
//  - A container stopped by stop or kill is not restarted (until started by hand again).
//  - The helper's own stop or crash ends its containers (their shims kill them); when the next
//    helper starts, it restarts those whose policy says so: always (even if stopped by hand, as
//    Docker's daemon does at its start), unless-stopped (unless stopped by hand), on-failure (they
//    ended by the helper's going, which is a failure, within N).
//  - Delays double from 100 ms (Docker's back-off), at most 10 s, so a command that fails at once
//    does not spin the helper.
import type { ContainerRecord } from '../store';
import { type EngineContext, withContainerLock } from './context';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;

export async function markManuallyStopped(ctx: EngineContext, id: string): Promise<void> {
  const rec = ctx.store.containers.get(id);
  if (rec && rec.options.restartPolicy && rec.options.restartPolicy.name !== 'no' && !rec.manuallyStopped) {
    await ctx.store.containers.save({ ...rec, manuallyStopped: true });
  }
}

/** A start by hand (strata start, restart): the policy applies again from here. */
export async function clearManuallyStopped(ctx: EngineContext, id: string): Promise<void> {
  const rec = ctx.store.containers.get(id);
  if (rec?.manuallyStopped) await ctx.store.containers.save({ ...rec, manuallyStopped: false });
}

function wantsRestart(rec: ContainerRecord, exitCode: number): boolean {
  const policy = rec.options.restartPolicy;
  if (!policy || policy.name === 'no' || rec.manuallyStopped || rec.options.autoRemove) return false;
  if (policy.name === 'on-failure') {
    return exitCode !== 0 && (policy.maximumRetryCount === 0 || (rec.restartCount ?? 0) < policy.maximumRetryCount);
  }
  return true;
}

function delayFor(rec: ContainerRecord): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(rec.restartCount ?? 0, 20));
}

type Starter = (id: string) => Promise<unknown>;

async function restartNow(ctx: EngineContext, id: string, start: Starter): Promise<void> {
  await withContainerLock(ctx, id, async (cid) => {
    const rec = ctx.store.containers.get(cid);
    // Removed, started by hand, or stopped by hand meanwhile: nothing to do.
    if (!rec || rec.status === 'running' || rec.manuallyStopped || ctx.closing) return;
    await ctx.store.containers.save({ ...rec, restartCount: (rec.restartCount ?? 0) + 1 });
    await start(cid);
  }).catch((err: unknown) => {
    ctx.events.emit('log', `container ${id.slice(0, 12)}: restart by its policy failed: ${String(err)}`);
  });
}

/** After an exit: restart later if the container's policy says so. */
export function scheduleRestart(ctx: EngineContext, id: string, exitCode: number, start: Starter): void {
  const rec = ctx.store.containers.get(id);
  if (!rec || !wantsRestart(rec, exitCode)) return;
  setTimeout(() => void restartNow(ctx, id, start), delayFor(rec));
}

/** When the helper starts: the containers its predecessor's end stopped, by their policies. */
export async function restartAtHelperStart(ctx: EngineContext, start: Starter): Promise<string[]> {
  const done: string[] = [];
  for (const rec of ctx.store.containers.list()) {
    const policy = rec.options.restartPolicy?.name;
    if (rec.status === 'running' || !policy || policy === 'no') continue;
    const again = policy === 'always' || (policy === 'unless-stopped' && !rec.manuallyStopped) ||
      (policy === 'on-failure' && rec.stoppedWithHelper === true && wantsRestart({ ...rec, manuallyStopped: false }, rec.exitCode ?? 1));
    if (!again) continue;
    if (policy === 'always' && rec.manuallyStopped) await ctx.store.containers.save({ ...rec, manuallyStopped: false });
    done.push(`container ${rec.id.slice(0, 12)}: restarted by its --restart ${policy} policy`);
    setTimeout(() => void restartNow(ctx, rec.id, start), 0);
  }
  return done;
}
