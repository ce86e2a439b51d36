// The change lists behind the trees, the decorations and the multi-diff. A layer never changes
// (its id is the hash of its content), so its list is fetched once and kept; a container's list
// is fetched again whenever its node refreshes, and a difference is announced so that the tree,
// the A/M/D colours and any open diff follow the file system live.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import { ChangeIndex } from './change-index';
import { changeRowUri, hexId, versionKey, versionUri, type ChangeSource, type Version } from './uris';

const LAYERS_KEPT = 64;

export interface ContainerChangesEvent {
  id: string;
  /** URIs (both sides) of every path that appeared, went or changed kind, plus those already known. */
  uris: vscode.Uri[];
}

export class ChangesCache implements vscode.Disposable {
  private readonly layers = new Map<string, Promise<ChangeIndex>>();
  private readonly loaded = new Map<string, ChangeIndex>();
  private readonly emitter = new vscode.EventEmitter<ContainerChangesEvent>();
  readonly onDidChangeContainer = this.emitter.event;

  constructor(private readonly helper: Helper) {}

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

  /** A container's changes now; fires onDidChangeContainer when they differ from the last fetch. */
  async container(source: ChangeSource & { kind: 'container' }): Promise<ChangeIndex> {
    const { id } = source;
    const client = await this.helper.client();
    const changes = await client.request('container.changes', { id });
    const key = versionKey({ container: id });
    const before = this.loaded.get(key);
    const index = new ChangeIndex(changes);
    this.loaded.set(key, index);
    if (before && !sameChanges(before, index)) {
      // The container's version of each path and its row; its base (the image) never changes.
      const paths = new Set([...before.changes.map((c) => c.path), ...index.changes.map((c) => c.path)]);
      const uris = [...paths].flatMap((p) => [versionUri({ container: id }, p), changeRowUri(source, p)]);
      this.emitter.fire({ id, uris });
    }
    return index;
  }

  /** The change list that a version's files belong to, if loaded (for decorations, which must answer at once). */
  peek(version: Version): ChangeIndex | undefined {
    return this.loaded.get(versionKey(version));
  }

  forgetContainer(id: string): void {
    this.loaded.delete(versionKey({ container: id }));
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

function sameChanges(a: ChangeIndex, b: ChangeIndex): boolean {
  if (a.size !== b.size) return false;
  return a.changes.every((c, i) => c.path === b.changes[i].path && c.kind === b.changes[i].kind);
}
