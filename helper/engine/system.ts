// What the helper says about itself and its store: which store, which helper (pid, protocol, build),
// and where the store's bytes are (engine/disk-usage.ts).
import { BUILD_ID, PROTOCOL_VERSION } from '../protocol/methods';
import { diskUsage } from './disk-usage';
import type { MethodTable } from './method-table';

export const systemMethods = {
  'store.info': { lock: 'none', run: (ctx) => ({ root: ctx.store.paths.root, helperPid: process.pid, version: PROTOCOL_VERSION, build: BUILD_ID }) },
  'system.df': { lock: 'none', run: (ctx) => diskUsage(ctx) },
} satisfies MethodTable<'store.info' | 'system.df'>;
