// `strata check [--repair]` (issue 14): fsck for the store, under the store's mutex so that no
// operation changes the indexes meanwhile. The checks and repairs are the store's own
// (store/check.ts); here the engine forgets what a repair set aside and tells the clients.
import { checkStore } from '../store/check';
import type { StoreCheckReport } from '../protocol/types';
import type { EngineContext } from './context';
import type { MethodTable } from './method-table';

async function checkAndRepair(ctx: EngineContext, repair: boolean): Promise<StoreCheckReport> {
  const { report, containersMoved } = await checkStore(ctx.store, { repair });
  for (const id of containersMoved) ctx.sessions.delete(id);
  const repaired = report.problems.filter((p) => p.repaired);
  for (const p of repaired) ctx.events.emit('log', `check --repair: ${p.path}: ${p.problem}: ${p.repaired}`);
  if (repaired.length) {
    ctx.events.emit('changed', { what: 'images' });
    ctx.events.emit('changed', { what: 'containers' });
  }
  return report;
}

export const checkMethods = {
  'store.check': { lock: 'store', run: (ctx, p) => checkAndRepair(ctx, p.repair) },
} satisfies MethodTable<'store.check'>;
