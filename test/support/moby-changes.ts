// The oracle for `strata diff`: what `docker diff` prints on overlay2, computed as Docker computes
// it. moby's overlay2 Changes is the naive driver's (daemon/graphdriver/fsdiff.go): mount the
// layer and its parent, and compare the two merged trees with go-archive's ChangesDirs. Here the
// trees are real overlayfs mounts and the comparison is a line-for-line port of ChangesDirs
// (github.com/moby/go-archive changes.go addChanges; statDifferent in changes_unix.go), so a test
// can hold Strata's answer, computed from the upper dir alone, against Docker's way of getting it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { walkTree, type WalkEntry } from '../../helper/archive/native-fs';

interface Node {
  path: string;
  stat: WalkEntry;
  parent: Node | null;
  children: Map<string, Node>;
  added: boolean;
}

async function tree(dir: string): Promise<Node> {
  const entries = await walkTree(dir);
  const nodes = new Map<string, Node>();
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/');
    const parent = e.path === '.' ? null : nodes.get(slash < 0 ? '.' : e.path.slice(0, slash))!;
    const node: Node = { path: e.path === '.' ? '/' : `/${Buffer.from(e.path, 'latin1').toString('utf8')}`, stat: e, parent, children: new Map(), added: false };
    nodes.set(e.path, node);
    parent?.children.set(e.path.slice(slash + 1), node);
  }
  return nodes.get('.')!;
}

const isDir = (n: Node) => n.parent === null || n.stat.kind === 'dir';

function sameFsTime(a: WalkEntry, b: WalkEntry): boolean {
  return (a.mtimeSec === b.mtimeSec && a.mtimeNsec === b.mtimeNsec) || (a.mtimeSec === b.mtimeSec && (a.mtimeNsec === 0 || b.mtimeNsec === 0));
}

function statDifferent(o: WalkEntry, n: WalkEntry): boolean {
  return o.mode !== n.mode || o.uid !== n.uid || o.gid !== n.gid || o.rdevMajor !== n.rdevMajor || o.rdevMinor !== n.rdevMinor ||
    (o.kind !== 'dir' && (!sameFsTime(o, n) || o.size !== n.size));
}

const capability = (e: WalkEntry) => e.xattrs.get('security.capability') ?? Buffer.alloc(0);

function addChanges(info: Node, oldInfo: Node | undefined, changes: string[]): void {
  const sizeAtEntry = changes.length;
  if (!oldInfo) {
    changes.push(`A ${info.path}`);
    info.added = true;
  }
  const oldChildren = new Map(oldInfo && isDir(info) ? oldInfo.children : []);
  for (const [name, newChild] of info.children) {
    const oldChild = oldChildren.get(name);
    if (oldChild) {
      if (statDifferent(oldChild.stat, newChild.stat) || !capability(oldChild.stat).equals(capability(newChild.stat))) {
        changes.push(`C ${newChild.path}`);
        newChild.added = true;
      }
      oldChildren.delete(name);
    }
    addChanges(newChild, oldChild, changes);
  }
  for (const oldChild of oldChildren.values()) changes.push(`D ${oldChild.path}`);
  if (changes.length > sizeAtEntry && isDir(info) && !info.added && info.parent !== null) changes.splice(sizeAtEntry, 0, `C ${info.path}`);
}

/** ChangesDirs(newDir, oldDir) as `K /path` lines, sorted (Docker's own order is a map's). */
export async function changesDirs(newDir: string, oldDir: string): Promise<string[]> {
  const changes: string[] = [];
  addChanges(await tree(newDir), await tree(oldDir), changes);
  return changes.sort((a, b) => (a.slice(2) < b.slice(2) ? -1 : a.slice(2) > b.slice(2) ? 1 : 0));
}

/**
 * Docker's answer for `upper` over `lowers` (top-most first): both merged views mounted read-only
 * (an empty bottom layer added, since overlayfs wants two lowers without an upper dir), compared.
 */
export async function dockerDiff(upper: string, lowers: string[]): Promise<string[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'strata-moby-'));
  const [empty, now, before] = ['empty', 'now', 'before'].map((d) => join(tmp, d));
  for (const d of [empty, now, before]) mkdirSync(d);
  const mount = (dirs: string[], at: string) =>
    execa('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${[...dirs, empty].join(':')},redirect_dir=off,metacopy=off,index=off`, at]);
  try {
    await mount([upper, ...lowers], now);
    await mount(lowers, before);
    return await changesDirs(now, before);
  } finally {
    for (const d of [now, before]) await execa('umount', [d], { reject: false });
    rmSync(tmp, { recursive: true, force: true });
  }
}
