// One change list (a layer's, or a container's) arranged as a folder tree. The helper sends a
// flat list once; a folder's children are computed the first time that folder is opened, so a
// layer of 100 000 files costs one pass over the list and then only what the user looks at.
import type { Change } from '../../helper/protocol';

/** Git's letters: the engine's C (changed) shows as M, as in the Source Control view. */
export type Mark = 'A' | 'M' | 'D';

export interface ChangeEntry {
  name: string;
  path: string;
  /** The change to this path itself; a folder that only holds changes has none. */
  mark: Mark | undefined;
  /** A directory: it holds changed paths below it, or is itself a (maybe empty) folder. */
  folder: boolean;
}

export function markOf(kind: Change['kind']): Mark {
  return kind === 'C' ? 'M' : kind;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class ChangeIndex {
  /** Files (and links, devices...) by mark: what the multi-diff editor lists, so both say the same. */
  readonly counts: Record<Mark, number> = { A: 0, M: 0, D: 0 };
  /** Directories by mark: told apart from files (issue 10, item 6: "+290" against "283 files"). */
  readonly folderCounts: Record<Mark, number> = { A: 0, M: 0, D: 0 };
  private readonly marks = new Map<string, Mark>();
  /** Paths the helper says are directories (a folder with nothing changed below it included). */
  private readonly dirs = new Set<string>();
  /** folder path -> child paths; filled in by the first children() call. */
  private tree: Map<string, Set<string>> | undefined;
  private readonly sorted = new Map<string, ChangeEntry[]>();

  constructor(readonly changes: readonly Change[]) {
    for (const c of changes) {
      const mark = markOf(c.kind);
      this.marks.set(c.path, mark);
      if (c.dir) {
        this.dirs.add(c.path);
        this.folderCounts[mark]++;
      } else {
        this.counts[mark]++;
      }
    }
  }

  /** How many files: the multi-diff editor's count. */
  get files(): number {
    return this.counts.A + this.counts.M + this.counts.D;
  }

  get size(): number {
    return this.changes.length;
  }

  markOf(path: string): Mark | undefined {
    return this.marks.get(path);
  }

  /** Whether this path is a folder: a directory, or one with changed paths below it. */
  isFolder(path: string): boolean {
    return this.dirs.has(path) || this.folders().has(path);
  }

  /** The entries directly in a folder: folders first, then files, each by name. */
  children(folder = '/'): ChangeEntry[] {
    let list = this.sorted.get(folder);
    if (list) return list;
    const tree = this.folders();
    list = [...(tree.get(folder) ?? [])].map((path) => ({
      name: path.slice(path.lastIndexOf('/') + 1),
      path,
      mark: this.marks.get(path),
      folder: tree.has(path) || this.dirs.has(path),
    }));
    list.sort((a, b) => (a.folder === b.folder ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.folder ? -1 : 1));
    this.sorted.set(folder, list);
    return list;
  }

  /** Every changed path that is not a directory: what the multi-diff editor shows and `counts` counts. */
  leaves(): Change[] {
    return this.changes.filter((c) => !c.dir);
  }

  private folders(): Map<string, Set<string>> {
    if (this.tree) return this.tree;
    const tree = new Map<string, Set<string>>();
    for (const { path } of this.changes) {
      // Walk up until a parent already lists the child: each link is made once, and folders the
      // list does not name itself (a change deep in an unchanged tree) still appear.
      let child = path;
      while (child !== '/') {
        const parent = parentOf(child);
        let set = tree.get(parent);
        if (!set) tree.set(parent, (set = new Set()));
        if (set.has(child)) break;
        set.add(child);
        child = parent;
      }
    }
    this.tree = tree;
    return tree;
  }
}
