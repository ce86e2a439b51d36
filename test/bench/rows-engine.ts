// 1. Engine against engine: Strata's JSON-RPC from one persistent client against Docker's and
// Podman's Engine API from one persistent HTTP client, each doing the same work behind its API.
import type { BenchContext } from './context';
import { writer } from './context';
import type { EngineApi } from '../support/docker-api';
import type { Row, Side, System } from './measure';

/** What both kinds of API client do (StrataApi, EngineApi), each through its own API. */
interface Engine {
  createStartWait(image: string, cmd: string[]): Promise<string>;
  remove(id: string): Promise<void>;
  commit(container: string, ref: string): Promise<string>;
  removeImage(ref: string): Promise<void>;
  importTar(file: string, name: string): Promise<unknown>;
}

function engines(ctx: BenchContext): [System, Engine, string][] {
  return [['strata', ctx.strata, 'JSON-RPC'], ...ctx.peers.map((p): [System, Engine, string] => [p.name, p.api, `${p.api.name} API`])];
}

function sides(ctx: BenchContext, make: (e: Engine, sys: System, how: string) => Side<any>): Partial<Record<System, Side<any>>> {
  return Object.fromEntries(engines(ctx).map(([sys, e, how]) => [sys, make(e, sys, how)]));
}

/** A container per system that wrote the workload's files, made once and shared by the rounds. */
function writtenContainer(e: Engine, n: number): () => Promise<string> {
  let id: Promise<string> | undefined;
  return () => (id ??= e.createStartWait('bb', ['sh', '-c', writer(n)]));
}

export function engineRows(ctx: BenchContext): Row[] {
  const n = ctx.files;
  const changed = new Map<System, () => Promise<string>>();
  const peerCall = (strata: string, api: string) => (sys: System, how: string) => (sys === 'strata' ? `${how}: ${strata}` : `${how}: ${api}`);
  const rows: Row[] = [
    {
      id: 'engine.run',
      title: 'engine: create+start+wait /bin/true',
      target: { kind: 'ratio', against: ['docker', 'podman'], max: 0.3 },
      sides: sides(ctx, (e, sys, how) => ({
        what: peerCall('container.create, container.start, container.wait', 'POST /containers/create, /start, /wait (NetworkMode none)')(sys, how),
        run: () => e.createStartWait('bb', ['/bin/true']),
        after: (_c, _r, id: string) => e.remove(id),
      })),
    },
    {
      id: 'engine.commit',
      title: `engine: commit of a container that wrote ${n} files`,
      target: { kind: 'ratio', against: ['docker'], max: 0.15 },
      runs: Math.max(1, Math.ceil(ctx.runs / 2)),
      note: 'Strata syncs the layer before it answers (a durable commit); Docker does not',
      sides: sides(ctx, (e, sys, how) => ({
        what: peerCall('container.commit', 'POST /commit?container=ID')(sys, how),
        before: () => e.createStartWait('bb', ['sh', '-c', writer(n)]),
        run: (id: string, r) => e.commit(id, `bench-commit-${r}`),
        after: async (id: string, r) => { await e.remove(id); await e.removeImage(`bench-commit-${r}`); },
      })),
    },
    {
      id: 'engine.changes',
      title: `engine: changes of a container that wrote ${n} files`,
      target: { kind: 'ratio', against: ['docker'], max: 0.25 },
      sides: sides(ctx, (e, sys, how) => {
        const made = writtenContainer(e, n);
        changed.set(sys, made);
        return {
          what: peerCall('container.changes', 'GET /containers/ID/changes')(sys, how),
          before: () => made(),
          run: (id: string) => (sys === 'strata' ? ctx.strata.client.request('container.changes', { id }) : peerOf(ctx, sys).json('GET', `/containers/${id}/changes`)),
        };
      }),
    },
    {
      id: 'engine.history',
      title: 'engine: history of the busybox image',
      sides: sides(ctx, (_e, sys, how) => ({
        what: peerCall('image.history', 'GET /images/bb/history')(sys, how),
        run: () => (sys === 'strata' ? ctx.strata.client.request('image.history', { ref: 'bb' }) : peerOf(ctx, sys).json('GET', '/images/bb/history')),
      })),
    },
    {
      id: 'engine.images',
      title: 'engine: image list',
      sides: sides(ctx, (_e, sys, how) => ({
        what: peerCall('images.list', 'GET /images/json')(sys, how),
        run: () => (sys === 'strata' ? ctx.strata.client.request('images.list', {}) : peerOf(ctx, sys).json('GET', '/images/json')),
      })),
    },
    {
      id: 'engine.inspect',
      title: 'engine: image inspect',
      sides: sides(ctx, (_e, sys, how) => ({
        what: peerCall('image.inspect', 'GET /images/bb/json')(sys, how),
        run: () => (sys === 'strata' ? ctx.strata.client.request('image.inspect', { ref: 'bb' }) : peerOf(ctx, sys).json('GET', '/images/bb/json')),
      })),
    },
    {
      id: 'engine.import.busybox',
      title: 'engine: import of the busybox tar (2 MB)',
      sides: sides(ctx, (e, sys, how) => ({
        what: peerCall('upload.begin, image.import, the tar raw on a second connection', 'POST /images/create?fromSrc=- with the tar')(sys, how),
        run: (_c, r) => e.importTar(ctx.bbTar, `bench-import-${r}`),
        after: (_c, r) => e.removeImage(`bench-import-${r}`),
      })),
    },
  ];
  return rows;
}

/** The large import row (the 204 MB minbase tar), slow: a few rounds. */
export function engineImportRow(ctx: BenchContext, tar: string, label: string): Row {
  return {
    id: 'engine.import.large',
    title: `engine: import of ${label}`,
    target: { kind: 'ratio', against: ['docker'], max: 0.6 },
    runs: ctx.quick ? 1 : 3,
    warmup: ctx.quick ? 0 : 1,
    sides: sides(ctx, (e, sys, how) => ({
      what: sys === 'strata' ? `${how}: image.import (raw upload)` : `${how}: POST /images/create?fromSrc=-`,
      run: (_c, r) => e.importTar(tar, `bench-big-${r}`),
      after: (_c, r) => e.removeImage(`bench-big-${r}`),
    })),
  };
}

function peerOf(ctx: BenchContext, sys: System): EngineApi {
  const p = ctx.peers.find((x) => x.name === sys);
  if (!p) throw new Error(`no peer ${sys}`);
  return p.api;
}
