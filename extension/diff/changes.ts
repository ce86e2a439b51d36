// The change lists behind the trees, the decorations and the multi-diff. A layer never changes
// (its id is the hash of its content), so its list is fetched once and kept; a container's list
// is fetched again when the helper pushes container.changed (no polling: issue 10, item 8), and
// the change is announced so that the tree, the A/M/D colours and any open diff follow it live.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import { ChangeIndex } from './change-index';
import { changeRowUri, hexId, versionKey, versionUri, type ChangeSource, type Version } from './uris';

const LAYERS_KEPT = 64;

export interface ContainerChangesEvent {
  id: string;
  /** URIs (the container's version and the row) of every path it had or has changed. */
  uris: vscode.Uri[];
  /** Whether the list itself differs (a path came, went or changed kind), not only file contents. */
  listChanged: boolean;
}

export class ChangesCache implements vscode.Disposable {
  private readonly layers = new Map<string, Promise<ChangeIndex>>();
  private readonly loaded = new Map<string, ChangeIndex>();
  private readonly emitter = new vscode.EventEmitter<ContainerChangesEvent>();
  readonly onDidChangeContainer = this.emitter.event;
  /** Containers whose loaded list is current: the helper has not said they changed since. */
  private readonly fresh = new Set<string>();
  private readonly sources = new Map<string, ChangeSource & { kind: 'container' }>();
  private readonly fetching = new Map<string, Promise<ChangeIndex>>();
  private readonly again = new Set<string>();
  private ticked = false;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly helper: Helper) {
    this.subs = [
      helper.onDidChangeContainerFiles((e) => this.containerFilesChanged(e.id)),
      // A start, a stop, a commit or a lost connection: what was pushed meanwhile may be missed.
      helper.onDidChangeStore((e) => { if (e.what === 'containers') this.fresh.clear(); }),
      helper.onDidChangeState(() => this.fresh.clear()),
    ];
  }

  /** A layer's changes against its parent: one request per layer, ever. */
  layer(id: string): Promise<ChangeIndex> {
    const key = hexId(id);
    let p = this.layers.get(key);
    if (p) {
      // Most recently used last, so the oldest is the first one dropped.
      this.layers.delete(key);
      this.layers.set(key, p);
      return p;
    }
    p = this.helper.client().then((c) => c.request('layer.changes', { id: key })).then((changes) => {
      const index = new ChangeIndex(changes);
      this.loaded.set(versionKey({ layer: key }), index);
      return index;
    });
    p.catch(() => this.layers.delete(key));
    this.layers.set(key, p);
    while (this.layers.size > LAYERS_KEPT) {
      const oldest = this.layers.keys().next().value as string;
      this.layers.delete(oldest);
      this.loaded.delete(versionKey({ layer: oldest }));
    }
    return p;
  }

  /**
   * A container's changes: the last list while the helper has not said they changed since (it
   * pushes container.changed, engine/watch.ts), else a new one from the helper.
   */
  container(source: ChangeSource & { kind: 'container' }): Promise<ChangeIndex> {
    const { id } = source;
    this.sources.set(id, source);
    const known = this.loaded.get(versionKey({ container: id }));
    if (known && this.fresh.has(id)) return Promise.resolve(known);
    return this.fetchContainer(source);
  }

  /** One request at a time per container; a change announced meanwhile asks once more after it. */
  private fetchContainer(source: ChangeSource & { kind: 'container' }): Promise<ChangeIndex> {
    const { id } = source;
    const running = this.fetching.get(id);
    if (running) {
      this.again.add(id);
      return running;
    }
    const p = this.fetchOnce(source).finally(() => {
      this.fetching.delete(id);
      if (this.again.delete(id)) void this.fetchContainer(source).catch(() => undefined);
    });
    this.fetching.set(id, p);
    return p;
  }

  private async fetchOnce(source: ChangeSource & { kind: 'container' }): Promise<ChangeIndex> {
    const { id } = source;
    const client = await this.helper.client();
    this.fresh.add(id);
    const changes = await client.request('container.changes', { id }).catch((err: unknown) => {
      this.fresh.delete(id);
      throw err;
    });
    const key = versionKey({ container: id });
    const before = this.loaded.get(key);
    const index = new ChangeIndex(changes);
    this.loaded.set(key, index);
    if (index.size > 0) this.anyContainerChanged();
    if (before) {
      // Every path the container had or has: a file whose kind stayed (A stays A) may still have new
      // bytes under an open diff. Its row too; its base (the image) never changes.
      const paths = new Set([...before.changes.map((c) => c.path), ...index.changes.map((c) => c.path)]);
      const uris = [...paths].flatMap((p) => [versionUri({ container: id }, p), changeRowUri(source, p)]);
      this.emitter.fire({ id, uris, listChanged: !sameChanges(before, index) });
    }
    return index;
  }

  /** The helper says a container's files changed: its list is read again if anyone has looked at it. */
  private containerFilesChanged(id: string): void {
    this.fresh.delete(id);
    const source = this.sources.get(id);
    if (source && this.loaded.has(versionKey({ container: id }))) void this.fetchContainer(source).catch(() => undefined);
  }

  /** The walkthrough's "Change a file" step ticks once any container has changes. */
  private anyContainerChanged(): void {
    if (this.ticked) return;
    this.ticked = true;
    void vscode.commands.executeCommand('setContext', 'strata.containerHasChanges', true);
  }

  /** The change list that a version's files belong to, if loaded (for decorations, which must answer at once). */
  peek(version: Version): ChangeIndex | undefined {
    return this.loaded.get(versionKey(version));
  }

  forgetContainer(id: string): void {
    this.loaded.delete(versionKey({ container: id }));
    this.sources.delete(id);
    this.fresh.delete(id);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}

function sameChanges(a: ChangeIndex, b: ChangeIndex): boolean {
  if (a.size !== b.size) return false;
  return a.changes.every((c, i) => c.path === b.changes[i].path && c.kind === b.changes[i].kind);
}
