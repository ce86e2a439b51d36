// Many files of one version at once (files.read), for the multi-diff editor: Open Changes on a layer
// of 283 files waited ~13 s when each side of each file was its own file.read (issue 10, item 4),
// because each read starts strata-fs once per layer it looks in and once more to cat the file: about
// 1,200 processes for 300 files. Here every path is looked up with one `strata-fs stat` per layer
// and read with one `strata-fs cat` per layer, whatever the number of paths. The merge rules are
// readMergedFile's (overlayfs's): the first layer that has a path decides, a whiteout or a
// non-directory parent hides what is below, an opaque parent ends the search.
import { catFiles, readSmallFiles, SMALL_READ_MAX, statPaths, type WalkEntry } from './native-fs';
import { layerRelative, type FileView } from './read-file';
import { isOpaqueDir } from './xattr';

export interface ReadFilesOptions {
  /** Bytes of one file's data given in the batch; a larger file comes back as null (read it alone). 0: no data at all. */
  perFile: number;
  /** Bytes of data in the whole answer; files past it come back as null. */
  budget: number;
}

interface Wanted {
  full: string;
  prefixes: string[];
  hiddenBelow: boolean;
  view?: FileView;
  /** The layer whose bytes the view shows (index into dirs). */
  from?: number;
}

const MISSING = (): FileView => ({ kind: 'missing', size: 0, mode: 0, truncated: false });

/** Resolves what `found` (one layer's stat answers) says about `w`; true when it is decided. */
function decide(w: Wanted, found: Map<string, WalkEntry | null>, layer: number): boolean {
  for (const prefix of w.prefixes.slice(0, -1)) {
    const e = found.get(prefix);
    if (!e) break;
    if (e.kind !== 'dir') {
      w.view = MISSING();
      return true;
    }
    if (isOpaqueDir(e)) w.hiddenBelow = true;
  }
  const e = found.get(w.full);
  if (e) {
    if (e.kind === 'whiteout') {
      w.view = MISSING();
      return true;
    }
    w.view = { kind: e.kind, size: e.size, mode: e.mode, truncated: false };
    if (e.kind === 'symlink') w.view.linkTarget = e.linkTarget;
    w.from = layer;
    return true;
  }
  if (w.hiddenBelow) {
    w.view = MISSING();
    return true;
  }
  return false;
}

/** Fills in the data of `files` (all in layer `dir`), each cut to its size, from one cat. */
async function readData(dir: string, files: Wanted[]): Promise<void> {
  if (files.reduce((n, w) => n + w.view!.size, 0) <= SMALL_READ_MAX) {
    const all = await readSmallFiles(dir, files.map((w) => ({ path: w.full, size: w.view!.size })));
    let at = 0;
    for (const w of files) {
      w.view!.data = all.subarray(at, at + w.view!.size);
      at += w.view!.size;
    }
    return;
  }
  const cat = catFiles(dir, files.map((w) => ({ path: w.full, size: w.view!.size })));
  let i = 0;
  let parts: Buffer[] = [];
  let got = 0;
  const settle = () => {
    while (i < files.length && got >= files[i].view!.size) {
      const all = Buffer.concat(parts);
      const size = files[i].view!.size;
      files[i].view!.data = all.subarray(0, size);
      parts = [all.subarray(size)];
      got -= size;
      i++;
    }
  };
  settle();
  for (let r = await cat.chunks.next(); !r.done; r = await cat.chunks.next()) {
    parts.push(r.value);
    got += r.value.length;
    settle();
  }
  await cat.done;
  if (i < files.length) throw new Error(`strata-fs cat ${dir}: ended after ${i} of ${files.length} files`);
}

/**
 * The files at `paths` as the merged view of `dirs` (TOP-MOST FIRST) shows them, in order; null for
 * a regular file whose data did not fit (`perFile`, `budget`) or changed while it was read.
 */
export async function readMergedFiles(dirs: string[], paths: string[], opts: ReadFilesOptions): Promise<(FileView | null)[]> {
  const wanted: Wanted[] = paths.map((path) => {
    const parts = layerRelative(path);
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    return { full: prefixes[prefixes.length - 1], prefixes, hiddenBelow: false };
  });
  let pending = wanted;
  for (let layer = 0; layer < dirs.length && pending.length; layer++) {
    const asked = new Set(pending.flatMap((w) => w.prefixes));
    const found = await statPaths(dirs[layer], [...asked]);
    pending = pending.filter((w) => !decide(w, found, layer));
  }
  for (const w of pending) w.view = MISSING();

  // Which files' bytes go in this answer, in the order asked, within the budget.
  const out: (FileView | null)[] = wanted.map((w) => w.view!);
  const byLayer = new Map<number, Wanted[]>();
  let total = 0;
  wanted.forEach((w, i) => {
    const v = w.view!;
    if (v.kind !== 'file') return;
    if (opts.perFile === 0) {
      v.truncated = v.size > 0;
      return;
    }
    if (v.size > opts.perFile || total + v.size > opts.budget) {
      out[i] = null;
      return;
    }
    total += v.size;
    if (v.size === 0) v.data = Buffer.alloc(0);
    else byLayer.set(w.from!, [...(byLayer.get(w.from!) ?? []), w]);
  });
  await Promise.all([...byLayer].map(async ([layer, files]) => {
    // A file that changed size meanwhile (a running container) fails the cat: its layer's files
    // come back as null, and the client reads them one by one.
    await readData(dirs[layer], files).catch(() => {
      for (const w of files) out[wanted.indexOf(w)] = null;
    });
  }));
  return out;
}
