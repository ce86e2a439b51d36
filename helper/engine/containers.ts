// Containers: create, start, wait, stop, kill, remove, list, inspect, and their live changes.
// The helper owns each container's process (as Docker's daemon does): it outlives the client
// that started it and ends when its command exits or it is stopped.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { layerChangesJson } from '../archive';
import { JsonText } from '../json-text';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { Change, ContainerDetail, ContainerOptions, ContainerProcessInfo, ContainerStats, ContainerSummary } from '../protocol/types';
import { blockBytes, cleanupContainerMounts, containerProcesses, containerUsage, launch, networkBytes, prepareContainerDirs, removeCgroups } from '../runtime';
import type { ContainerRecord } from '../store';
import { randomId } from '../store/ids';
import { type EngineContext, now, withContainerLock } from './context';
import type { MethodTable } from './method-table';
import { imageLayers } from './images';
import { mergeEnv, processEnv } from './env';
import { type LogFollower, logOf } from './logs';
import { generateName } from './names';
import { thawIfPaused } from './pause';
import { Session } from './sessions';
import { takeUpperBack } from '../store/moved-uppers';
import { readUpper, upperOf } from './upper';
import { capabilityMask, capabilityName, checkRunOptions } from './run-options';
import { clearManuallyStopped, markManuallyStopped, restartAtHelperStart, scheduleRestart } from './restart';

export function summary(rec: ContainerRecord): ContainerSummary {
  return {
    id: rec.id, name: rec.name, image: rec.image, imageId: rec.imageId, command: rec.command, created: rec.created,
    status: rec.status, exitCode: rec.exitCode, startedAt: rec.startedAt, finishedAt: rec.finishedAt,
    tty: rec.options.tty, hostname: rec.hostname, pid: rec.pid, paused: rec.paused === true, restartCount: rec.restartCount ?? 0,
    ...(rec.options.labels ? { labels: rec.options.labels } : {}),
  };
}

function listContainers(ctx: EngineContext, all: boolean): ContainerSummary[] {
  return ctx.store.containers.list().filter((c) => all || c.status === 'running').map(summary);
}

function inspectContainer(ctx: EngineContext, ref: string): ContainerDetail {
  const rec = ctx.store.containers.resolve(ref);
  const config = ctx.store.images.get(rec.imageId);
  return {
    ...summary(rec), options: rec.options, upperDir: upperOf(ctx, rec),
    layers: config ? imageLayers(ctx, config).map((l) => l.id) : [],
  };
}

/** Under the store's mutex (its table row). */
// Not built, on purpose for now: volumes, bind mounts and `cp`. The helper never opens a host path
// on a client's behalf, so whoever reaches its socket can run containers but not read or write the
// host's files through it (README, "The helper and root"); host mounts must keep that property.
async function createContainer(ctx: EngineContext, imageRef: string, options: ContainerOptions): Promise<{ id: string; name: string }> {
  const imageId = ctx.store.images.resolve(imageRef);
  const config = ctx.store.images.get(imageId)!;
  imageLayers(ctx, config); // refuse now, not at start, if a layer is missing
  const body = config.config ?? {};
  // As Docker: --entrypoint replaces the image's (an empty one clears it), and then the image's
  // Cmd is not used either: only the command given after the image.
  const entrypoint = options.entrypoint === undefined ? body.Entrypoint ?? [] : options.entrypoint === '' ? [] : [options.entrypoint];
  const command = options.cmd && options.cmd.length
    ? [...entrypoint, ...options.cmd]
    : [...entrypoint, ...(options.entrypoint === undefined ? body.Cmd ?? [] : [])];
  if (command.length === 0) command.push('/bin/sh');
  checkRunOptions(options);
  // Stored as Docker shows them (HostConfig.CapAdd: "CAP_NET_ADMIN"; ALL stays ALL).
  const caps = (list?: string[]) => list?.map((c) => { const n = capabilityName(c, true); return n === 'ALL' ? n : `CAP_${n}`; });
  options = { ...options, capAdd: caps(options.capAdd), capDrop: caps(options.capDrop) };
  if (options.name && ctx.store.containers.nameTaken(options.name)) throw nameConflict(ctx, options.name);
  const id = randomId();
  const hostname = options.hostname ?? id.slice(0, 12);
  const rec: ContainerRecord = {
    id, name: options.name ?? generateName((n) => ctx.store.containers.nameTaken(n)), image: imageRef, imageId, command,
    created: now(), hostname,
    options: { ...options, env: mergeEnv(body.Env ?? [], options.env), workdir: options.workdir ?? (body.WorkingDir || '/'), user: options.user ?? (body.User || '') },
    status: 'created', exitCode: null, pid: null, startedAt: null, finishedAt: null,
  };
  await ctx.store.containers.save(rec);
  await prepareContainerDirs({
    containerDir: ctx.store.paths.container(id), hostname: rec.hostname, network: options.network, extraHosts: options.extraHosts,
    layerDirs: imageLayers(ctx, config).map((l) => ctx.store.paths.layerFiles(l.id)),
  });
  ctx.sessions.add(new Session(id, id, options.tty, options.openStdin));
  ctx.events.emit('changed', { what: 'containers', id });
  return { id, name: rec.name };
}

/** The session of a container's main process (made on demand for containers from an earlier helper). */
export function mainSession(ctx: EngineContext, rec: ContainerRecord): Session {
  return ctx.sessions.find(rec.id) ?? ctx.sessions.add(new Session(rec.id, rec.id, rec.options.tty, rec.options.openStdin));
}

/** Under the container's lock (its table row): `id` is the full id. */
async function startContainer(ctx: EngineContext, id: string, size?: { cols: number; rows: number }): Promise<{ id: string }> {
  await clearManuallyStopped(ctx, id);
  try {
    return await startLocked(ctx, id, size);
  } catch (err) {
    // docker run --rm with a command that cannot start leaves no container behind either.
    const rec = ctx.store.containers.get(id);
    if (rec?.options.autoRemove && rec.status !== 'running') await removeLocked(ctx, id, true).catch(() => undefined);
    throw err;
  }
}

async function startLocked(ctx: EngineContext, id: string, size?: { cols: number; rows: number }): Promise<{ id: string }> {
  let rec = ctx.store.containers.get(id);
  if (!rec) throw new StrataError(ErrorCode.NotFound, `No such container: ${id}`);
  if (rec.status === 'running') return { id: rec.id };
  const session = mainSession(ctx, rec);
  const config = ctx.store.images.get(rec.imageId);
  if (!config) throw new StrataError(ErrorCode.NotFound, `the image of container ${rec.name} (${rec.imageId}) is gone`);
  // Its changes may live in a layer since a commit (engine/upper.ts): it writes to its own copy.
  if (rec.upperLayer) rec = await ctx.mutex.run(() => takeUpperBack(ctx.store, ctx.store.containers.get(id) ?? rec!));
  const o = rec.options;
  checkRunOptions(o); // a record from an older helper, or one edited by hand, meets today's rules
  const proc = await launch({
    id: rec.id, storeRoot: ctx.store.paths.root, containerDir: ctx.store.paths.container(rec.id),
    layerDirs: imageLayers(ctx, config).map((l) => ctx.store.paths.layerFiles(l.id)),
    cmd: rec.command, env: processEnv(rec.hostname, o.tty, o.env), cwd: o.workdir ?? '/', user: o.user ?? '', hostname: rec.hostname,
    tty: o.tty, openStdin: o.openStdin, network: o.network, memoryBytes: o.memory, pidsLimit: o.pidsLimit, size,
    nanoCpus: o.nanoCpus, cpuShares: o.cpuShares, init: o.init, extraHosts: o.extraHosts, ...processSecurity(o),
  });
  // Its output is kept for `strata logs` (engine/logs.ts), from the first byte: attached before
  // the process's streams flow. (Listeners are a set: a restart does not attach it twice.)
  const log = logOf(session, ctx.store.paths.container(rec.id));
  if (!log.open()) ctx.events.emit('log', `container ${rec.id.slice(0, 12)}: its log cannot be opened; its output is not kept this run`);
  session.attach(log);
  session.bind(proc);
  await ctx.store.containers.save({ ...rec, status: 'running', pid: proc.pid, startedAt: now(), finishedAt: null, exitCode: null, stoppedWithHelper: false });
  ctx.events.emit('changed', { what: 'containers', id: rec.id });
  session.exitHandled = proc.exited
    .then((code) => onExit(ctx, rec!.id, code))
    .catch((err: unknown) => {
      ctx.events.emit('log', `container ${rec!.id.slice(0, 12)}: recording its exit failed: ${String(err)}`);
    });
  return { id: rec.id };
}

async function onExit(ctx: EngineContext, id: string, exitCode: number): Promise<void> {
  await removeCgroups(id).catch(() => undefined);
  // Looked up after the await: a forced rm may have removed the container meanwhile.
  const rec = ctx.store.containers.get(id);
  if (rec) await ctx.store.containers.save({ ...rec, status: 'exited', paused: false, pid: null, exitCode, finishedAt: now(), stoppedWithHelper: ctx.closing === true });
  await ctx.sessions.find(id)?.finish(exitCode);
  if (rec?.options.autoRemove) await removeLocked(ctx, id, true).catch(() => undefined);
  ctx.events.emit('changed', { what: 'containers', id });
  if (rec && !ctx.closing) scheduleRestart(ctx, id, exitCode, (cid) => startLocked(ctx, cid));
}

/** The capabilities, no_new_privs and rlimits of every process of the container (its init, exec). */
export function processSecurity(o: ContainerOptions): { capabilities: bigint; noNewPrivileges: boolean; ulimits: ContainerOptions['ulimits'] } {
  return { capabilities: capabilityMask(o), noNewPrivileges: o.noNewPrivileges !== false, ulimits: o.ulimits };
}

/** The container's kept output (engine/logs.ts); with `follow`, what it prints next, until it stops. */
export function readLogs(ctx: EngineContext, ref: string, opts: { follow: boolean; tail?: number; since?: number; until?: number }, follower: LogFollower): { tty: boolean; stop: () => void } {
  const rec = ctx.store.containers.resolve(ref);
  const stop = logOf(mainSession(ctx, rec), ctx.store.paths.container(rec.id)).read(opts, follower);
  return { tty: rec.options.tty, stop };
}

async function waitContainer(ctx: EngineContext, ref: string): Promise<{ exitCode: number }> {
  const rec = ctx.store.containers.resolve(ref);
  const session = mainSession(ctx, rec);
  if (!session.process) return { exitCode: rec.exitCode ?? 0 };
  return new Promise((resolve) => {
    const detach = session.attach({ output: () => {}, exit: (exitCode) => { detach(); resolve({ exitCode }); } });
  });
}

async function killContainer(ctx: EngineContext, ref: string, signal: string | number = 'SIGKILL'): Promise<{ id: string }> {
  const rec = ctx.store.containers.resolve(ref);
  const proc = ctx.sessions.find(rec.id)?.process;
  if (!proc) throw new StrataError(ErrorCode.NotRunning, `Container ${rec.id} is not running`); // Docker's words, its full id
  const sig = normalizeSignal(signal);
  await markManuallyStopped(ctx, rec.id);
  if (ctx.store.containers.get(rec.id)?.paused) {
    // SIGKILL ends it (thawed first, or it would not die); any other signal would wait, frozen.
    if (sig !== 'SIGKILL' && sig !== 9) throw new StrataError(ErrorCode.InUse, `Container ${rec.id} is paused. Unpause the container before sending it ${typeof sig === 'number' ? `signal ${sig}` : sig}`);
    await thawIfPaused(ctx, rec.id);
  }
  proc.signal(sig);
  return { id: rec.id };
}

export async function stopContainer(ctx: EngineContext, ref: string, timeoutSeconds?: number): Promise<{ id: string }> {
  const rec = ctx.store.containers.resolve(ref);
  if (!ctx.closing) await markManuallyStopped(ctx, rec.id);
  const proc = ctx.sessions.find(rec.id)?.process;
  if (!proc) return { id: rec.id }; // docker stop on a stopped container succeeds
  await thawIfPaused(ctx, rec.id);
  // As Docker: --stop-signal, else the image's STOPSIGNAL, else SIGTERM; --stop-timeout, else 10 s.
  const image = ctx.store.images.get(rec.imageId);
  proc.signal(normalizeSignal(rec.options.stopSignal ?? image?.config?.StopSignal ?? 'SIGTERM'));
  timeoutSeconds ??= rec.options.stopTimeout ?? 10;
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutSeconds * 1000).unref());
  if ((await Promise.race([proc.exited, timer])) === 'timeout') {
    proc.signal('SIGKILL');
    await proc.exited;
  }
  await ctx.sessions.find(rec.id)?.exitHandled;
  return { id: rec.id };
}

/** Docker's words for a name in use, which scripts match on (a name is "/NAME" in Docker's API). */
function nameConflict(ctx: EngineContext, name: string): StrataError {
  const holder = ctx.store.containers.list().find((c) => c.name === name);
  return new StrataError(ErrorCode.AlreadyExists, `Conflict. The container name "/${name}" is already in use by container "${holder?.id ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`);
}

/** `rename`: a new name, free and different. Under the store's mutex (its table row), where
 *  creation checks names too, so two containers can never end up with one name. */
async function renameContainer(ctx: EngineContext, ref: string, name: string): Promise<{ id: string }> {
  const rec = ctx.store.containers.resolve(ref);
  if (rec.name === name) throw new StrataError(ErrorCode.InvalidParams, 'Renaming a container with the same name as its current name');
  if (ctx.store.containers.nameTaken(name)) throw nameConflict(ctx, name);
  await ctx.store.containers.save({ ...rec, name });
  ctx.events.emit('changed', { what: 'containers', id: rec.id });
  return { id: rec.id };
}

/** `container prune`: every container that is not running, removed as rm removes it. */
async function pruneContainers(ctx: EngineContext): Promise<{ deleted: string[] }> {
  const deleted: string[] = [];
  for (const rec of ctx.store.containers.list()) {
    if (rec.status === 'running') continue;
    // One that starts meanwhile is refused, as rm refuses it, and stays.
    const removed = withContainerLock(ctx, rec.id, (id) => removeLocked(ctx, id, false));
    if (await removed.then(() => true, () => false)) deleted.push(rec.id);
  }
  return { deleted }; // (each removal has told the clients already)
}

/** rm with the container's lock held (its table row), or from its exit (--rm), which must not wait
 *  for that lock: a forced rm holding it waits for the exit to be handled. */
async function removeLocked(ctx: EngineContext, id: string, force: boolean): Promise<{ id: string }> {
  const rec = ctx.store.containers.get(id);
  if (!rec) return { id }; // removed meanwhile (--rm)
  const session = ctx.sessions.find(rec.id);
  if (session?.process) {
    if (!force) throw new StrataError(ErrorCode.InUse, `You cannot remove a running container ${rec.id}. Stop the container before attempting removal or force remove`);
    await thawIfPaused(ctx, rec.id);
    session.process?.signal('SIGKILL');
    await session.exitHandled;
  }
  await ctx.mutex.run(async () => {
    if (!ctx.store.containers.get(rec.id)) return;
    await removeCgroups(rec.id).catch(() => undefined);
    await ctx.store.containers.remove(rec.id);
  });
  ctx.sessions.delete(rec.id);
  ctx.events.emit('changed', { what: 'containers', id: rec.id });
  return { id: rec.id };
}

async function containerChanges(ctx: EngineContext, ref: string): Promise<JsonText<Change[]>> {
  const rec = ctx.store.containers.resolve(ref);
  const config = ctx.store.images.get(rec.imageId);
  const lowers = config ? imageLayers(ctx, config).reverse().map((l) => ctx.store.paths.layerFiles(l.id)) : [];
  return readUpper(ctx, rec.id, async (upper) => {
    await fs.access(upper).catch(() => { throw new StrataError(ErrorCode.NotFound, `container ${rec.name} has no file system (yet)`); });
    // Sent as JSON already written (json-text.ts), as layer.changes is.
    return new JsonText<Change[]>(await layerChangesJson(upper, lowers));
  });
}

/** `top`: the processes of a running container, with their pids on the host and inside. */
async function containerTop(ctx: EngineContext, ref: string): Promise<ContainerProcessInfo[]> {
  const rec = ctx.store.containers.resolve(ref);
  if (!ctx.sessions.find(rec.id)?.process) throw new StrataError(ErrorCode.NotRunning, `Container ${rec.id} is not running`);
  return containerProcesses(rec.id);
}

/** `stats`: what the cgroups of the running containers (or of those named) count now. */
async function containerStats(ctx: EngineContext, refs: string[]): Promise<ContainerStats[]> {
  const recs = refs.length ? refs.map((r) => ctx.store.containers.resolve(r)) : ctx.store.containers.list().filter((c) => c.status === 'running');
  const out: ContainerStats[] = [];
  for (const rec of recs) {
    if (!ctx.sessions.find(rec.id)?.process) throw new StrataError(ErrorCode.NotRunning, `Container ${rec.id} is not running`);
    const procs = await containerProcesses(rec.id);
    const cpuSeconds = procs.reduce((n, p) => n + p.cpuSeconds, 0);
    // Its own network namespace's interfaces (none to count with --network host: the host's are not
    // its), read through its init, which its cgroup still lists (a reused pid would be another's).
    const init = procs.find((p) => p.pid === rec.pid && p.containerPid === 1);
    const net = rec.options.network === 'none' && init ? await networkBytes(init.pid) : null;
    const block = await blockBytes(rec.id);
    out.push({
      id: rec.id, name: rec.name, ...(await containerUsage(rec.id)), cpuSeconds,
      netRx: net?.rx ?? null, netTx: net?.tx ?? null, blockRead: block?.read ?? null, blockWrite: block?.write ?? null,
    });
  }
  return out;
}

/** Containers the previous helper left running died with it (their shims kill them): record that. */
export async function reapOrphans(ctx: EngineContext): Promise<string[]> {
  const done: string[] = [];
  for (const rec of ctx.store.containers.list()) {
    if (rec.status !== 'running') continue;
    // No kill by the recorded pid: it may belong to another process by now. The shim already
    // killed the container when its helper's control pipe closed.
    await removeCgroups(rec.id).catch(() => undefined);
    await cleanupContainerMounts(ctx.store.paths.container(rec.id)).catch(() => undefined);
    await ctx.store.containers.save({ ...rec, status: 'exited', paused: false, pid: null, exitCode: 137, finishedAt: now(), stoppedWithHelper: true });
    done.push(`container ${rec.id.slice(0, 12)} was running when its helper stopped: marked exited (137)`);
  }
  return done;
}

/** When the helper starts (after reapOrphans): containers whose --restart policy says so start again. */
export function restartOnHelperStart(ctx: EngineContext): Promise<string[]> {
  return restartAtHelperStart(ctx, (id) => startLocked(ctx, id));
}

export function normalizeSignal(signal: string | number): NodeJS.Signals | number {
  if (typeof signal === 'number' || /^[0-9]+$/.test(signal)) return Number(signal);
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`).toUpperCase();
  if (!(name in os.constants.signals)) throw new StrataError(ErrorCode.InvalidParams, `invalid signal: ${signal}`);
  return name as NodeJS.Signals;
}

export const containerMethods = {
  'containers.list': { lock: 'none', run: (ctx, p) => listContainers(ctx, p.all) },
  'containers.prune': { lock: 'none', run: (ctx) => pruneContainers(ctx) },
  'container.create': { lock: 'store', run: (ctx, p) => createContainer(ctx, p.image, p.options) },
  'container.start': { lock: 'container', run: (ctx, p) => startContainer(ctx, p.id, p.size) },
  'container.wait': { lock: 'none', run: (ctx, p) => waitContainer(ctx, p.id) },
  // stop and kill only signal the process: its exit is recorded under the locks it needs.
  'container.stop': { lock: 'none', run: (ctx, p) => stopContainer(ctx, p.id, p.timeout) },
  'container.kill': { lock: 'none', run: (ctx, p) => killContainer(ctx, p.id, p.signal) },
  'container.rename': { lock: 'store', run: (ctx, p) => renameContainer(ctx, p.id, p.name) },
  'container.remove': { lock: 'container', run: (ctx, p) => removeLocked(ctx, p.id, p.force) },
  'container.inspect': { lock: 'none', run: (ctx, p) => inspectContainer(ctx, p.id) },
  'container.changes': { lock: 'none', run: (ctx, p) => containerChanges(ctx, p.id) },
  'container.top': { lock: 'none', run: (ctx, p) => containerTop(ctx, p.id) },
  'containers.stats': { lock: 'none', run: (ctx, p) => containerStats(ctx, p.ids) },
} satisfies MethodTable<
  | 'containers.list' | 'containers.prune' | 'container.create' | 'container.start' | 'container.wait' | 'container.stop'
  | 'container.kill' | 'container.rename' | 'container.remove' | 'container.inspect' | 'container.changes' | 'container.top'
  | 'containers.stats'
>;
