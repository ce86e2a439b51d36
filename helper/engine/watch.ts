// Pushes `container.changed` when a running container's files change, so that clients follow its
// changes without polling (issue 10, item 8: the extension asked container.changes every 1.5 s).
//
// inotify, not fanotify: what a container changes lands in its upper dir, and overlayfs writes
// there through the upper file system's own VFS calls, so inotify watches on the upper dir see
// every copy-up (a rename into it), new file, removal (a whiteout made) and write (checked on this
// kernel: IN_MODIFY comes for a write through the overlay to a copied-up file). inotify watches one
// directory each, but an upper dir holds only the directories a container has changed, so the
// watches stay few. fanotify could watch a whole file system with one mark, but only with
// FAN_MARK_FILESYSTEM (directory-entry events are not reported for mount marks), which reports every
// write anywhere on the store's file system (every other container, every layer being written),
// to be filtered by path; and it needs a native reader, where Node's fs.watch is inotify already.
//
// Events are coalesced per container: at most one notification per COALESCE_MS, the first one
// COALESCE_MS after the first change, so a `tar x` or a compile sends a few a second, not thousands.
import { type FSWatcher, promises as fs, watch } from 'node:fs';
import { join } from 'node:path';
import type { Notifications } from '../protocol/methods';
import type { EngineContext } from './context';

export const COALESCE_MS = 250;
/** inotify watches one upper dir may take (fs.inotify.max_user_watches is shared by the host). */
const MAX_WATCHES = 4096;

type Listener = (e: Notifications['container.changed']) => void;

/** The watches on one running container's upper dir, one per directory in it. */
class UpperWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly id: string, private readonly upper: string, private readonly changed: () => void) {
    void this.add(upper);
  }

  /** Watches `dir` and every directory below it (a new directory may already hold others). */
  private async add(dir: string): Promise<void> {
    if (this.closed || this.watchers.has(dir) || this.watchers.size >= MAX_WATCHES) return;
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, name) => this.onEvent(dir, name));
    } catch {
      return; // gone already (removed, or the container's upper moved away)
    }
    w.on('error', () => this.drop(dir));
    this.watchers.set(dir, w);
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await this.add(join(dir, e.name));
  }

  private drop(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private onEvent(dir: string, name: string | Buffer | null): void {
    if (this.closed) return;
    if (name) {
      const path = join(dir, name.toString());
      // A new directory (or one renamed in by a copy-up) gets its own watch; a removed one goes.
      void fs.lstat(path).then((st) => (st.isDirectory() ? this.add(path) : undefined), () => this.drop(path));
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.changed();
    }, COALESCE_MS);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}

/** One per engine while any client listens: a watch per running container, kept in step with the store. */
class ContainerWatches {
  readonly listeners = new Set<Listener>();
  private readonly watches = new Map<string, UpperWatch>();
  private readonly onStore = (e: { what: string }) => { if (e.what === 'containers') this.sync(); };

  constructor(private readonly ctx: EngineContext) {
    ctx.events.on('changed', this.onStore);
    this.sync();
  }

  /** Watches the running containers' upper dirs, and only theirs. */
  private sync(): void {
    const running = new Set(this.ctx.store.containers.list().filter((c) => c.status === 'running').map((c) => c.id));
    for (const [id, w] of this.watches) {
      if (running.has(id)) continue;
      w.close();
      this.watches.delete(id);
    }
    for (const id of running) {
      if (this.watches.has(id)) continue;
      // A running container writes to its own upper dir (start takes back one a commit moved).
      this.watches.set(id, new UpperWatch(id, this.ctx.store.paths.containerUpper(id), () => {
        for (const listener of this.listeners) listener({ id });
      }));
    }
  }

  close(): void {
    this.ctx.events.off('changed', this.onStore);
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }
}

const byEngine = new WeakMap<EngineContext, ContainerWatches>();

/**
 * Calls `listener` (coalesced) whenever a running container's files change; returns what stops it.
 * The watches exist only while someone listens (rpc/connection.ts subscribes each client).
 */
export function onContainerFilesChanged(ctx: EngineContext, listener: Listener): () => void {
  let watches = byEngine.get(ctx);
  if (!watches) {
    watches = new ContainerWatches(ctx);
    byEngine.set(ctx, watches);
  }
  watches.listeners.add(listener);
  return () => {
    const w = byEngine.get(ctx);
    if (!w) return;
    w.listeners.delete(listener);
    if (w.listeners.size === 0) {
      w.close();
      byEngine.delete(ctx);
    }
  };
}
