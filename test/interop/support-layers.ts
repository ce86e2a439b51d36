// Reading what `docker save` and `strata save` write (the legacy layout: manifest.json, a config,
// a layer.tar per layer) into comparable facts: each layer's entries as lines (type, path,
// permission bits, owner, size, content hash, link target), its whiteouts as deletions, and the
// A/C/D changes a layer makes over the layers below it, the way `docker diff` (and `strata diff
// --layer`) report them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';

export interface LayerEntry {
  path: string;
  type: Header['type'];
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256: string;
  linkname: string;
  /** Seconds. */
  mtime: number;
}

export interface SavedImage {
  config: { config: Record<string, unknown>; history: { created_by?: string; empty_layer?: boolean }[]; rootfs: { diff_ids: string[] } };
  layers: LayerEntry[][];
}

/** Every entry of a tar in memory, with the sha256 of a file's content. */
export async function tarEntries(tar: Buffer, withContent = false): Promise<{ entry: LayerEntry; data?: Buffer }[]> {
  const out: { entry: LayerEntry; data?: Buffer }[] = [];
  const x = extract();
  const done = new Promise<void>((resolve, reject) => { x.on('finish', resolve); x.on('error', reject); });
  x.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const data = Buffer.concat(chunks);
      out.push({
        entry: {
          path: h.name.replace(/^\.\//, '').replace(/\/+$/, '').replace(/^\.$/, ''), type: h.type, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0,
          size: h.type === 'file' ? data.length : 0, sha256: h.type === 'file' ? createHash('sha256').update(data).digest('hex') : '', linkname: h.linkname ?? '', mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
        },
        ...(withContent ? { data } : {}),
      });
      next();
    });
    stream.on('error', next);
  });
  Readable.from([tar]).pipe(x);
  await done;
  return out;
}

/** A `docker save`-style archive of one image: its config and its layers' entries, bottom first. */
export async function readSaved(file: string): Promise<SavedImage> {
  const files = new Map<string, Buffer>();
  for (const { entry, data } of await tarEntries(readFileSync(file), true)) if (entry.type === 'file') files.set(entry.path, data!);
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as { Config: string; Layers: string[] }[];
  if (manifest.length !== 1) throw new Error(`${file}: ${manifest.length} images, one expected`);
  const config = JSON.parse(files.get(manifest[0].Config)!.toString('utf8')) as SavedImage['config'];
  const layers: LayerEntry[][] = [];
  for (const l of manifest[0].Layers) layers.push((await tarEntries(files.get(l)!)).map((e) => e.entry));
  return { config, layers };
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const under = (p: string, dir: string) => (dir === '' ? p !== '' : p.startsWith(`${dir}/`));

/**
 * A layer's entries as sorted lines. Whiteouts become `deleted PATH` and opaque markers `opaque
 * DIR`: only their meaning counts (their own mode, owner and header type are the writer's: Docker
 * writes 0600 whiteouts, a 0755 opaque marker, and names overlay's shared whiteout inode as a link
 * target). Hard links: every name of one file shows the file's facts and the group of its names
 * (which name a writer stores first, and the others as links to it, is its walk order). Times are
 * left out (Strata fixes a built layer's times: layer-times.ts).
 */
export function layerLines(entries: LayerEntry[]): string[] {
  const fileOf = resolver(entries);
  const groups = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'link') continue;
    const f = fileOf(e);
    groups.set(f.path, [...(groups.get(f.path) ?? [f.path]), e.path]);
  }
  return entries.map((e) => {
    const name = base(e.path);
    if (name === OPAQUE) return `opaque /${dirOf(e.path)}`;
    if (name.startsWith(WHITEOUT)) return `deleted /${joinPath(dirOf(e.path), name.slice(WHITEOUT.length))}`;
    const f = fileOf(e);
    const t = f.type;
    const what = t === 'file' ? ` ${f.size} ${f.sha256}` : t === 'symlink' ? ` -> ${e.linkname}` : '';
    const links = groups.get(f.path);
    return `${t} /${e.path} ${f.mode.toString(8)} ${f.uid}:${f.gid}${what}${links ? ` hard links: ${links.map((p) => `/${p}`).sort().join(' ')}` : ''}`;
  }).sort();
}

function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

function resolver(entries: LayerEntry[]): (e: LayerEntry) => LayerEntry {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return (e) => {
    let f = e;
    for (let i = 0; f.type === 'link' && i < 100; i++) f = byPath.get(f.linkname.replace(/^\.?\//, '')) ?? f;
    return f;
  };
}

/** moby's statDifferent (go-archive changes_unix.go), with the seconds a tar keeps. */
function statDifferent(o: LayerEntry, n: LayerEntry): boolean {
  return o.type !== n.type || o.mode !== n.mode || o.uid !== n.uid || o.gid !== n.gid ||
    (n.type !== 'directory' && (o.mtime !== n.mtime || o.size !== n.size));
}

/**
 * The changes (`A /p`, `C /p`, `D /p`) each layer makes over the ones below it, as `docker diff`
 * reports them (moby's ChangesDirs: the merged trees below and with the layer, compared): an entry
 * new to the tree is added; one whose type, mode, owner, or (not a directory) time or size differs
 * from the one below is changed (so a file only copied up, e.g. for a hard link, is not); a
 * whiteout deletes its path, an opaque directory what it hides; and a directory that stays is
 * changed when anything below it is.
 */
export function layerChanges(layers: LayerEntry[][]): string[][] {
  const merged = new Map<string, LayerEntry>();
  const all: string[][] = [];
  for (const entries of layers) {
    const facts = resolver(entries);
    const present = new Map(entries.filter((e) => !base(e.path).startsWith(WHITEOUT) && e.path !== '').map((e) => [e.path, facts(e)]));
    const found = new Map<string, string>();
    const hidden: string[] = [];
    for (const e of entries) {
      const name = base(e.path);
      if (name === OPAQUE) {
        const dir = dirOf(e.path);
        for (const m of merged.keys()) {
          if (!under(m, dir) || present.has(m)) continue;
          hidden.push(m);
          // Listed where the comparison walks: a child of the opaque directory, or of a directory the layer has again.
          if (dirOf(m) === dir || present.has(dirOf(m))) found.set(m, 'D');
        }
      } else if (name.startsWith(WHITEOUT)) {
        const p = joinPath(dirOf(e.path), name.slice(WHITEOUT.length));
        found.set(p, 'D');
        for (const m of merged.keys()) if (m === p || under(m, p)) hidden.push(m);
      }
    }
    for (const [p, n] of present) {
      const o = merged.get(p);
      if (!o) found.set(p, 'A');
      else if (statDifferent(o, n)) found.set(p, 'C');
    }
    for (const p of [...found.keys()]) {
      for (let a = dirOf(p); a !== ''; a = dirOf(a)) if (merged.has(a) && !found.has(a)) found.set(a, 'C');
    }
    for (const m of hidden) merged.delete(m);
    for (const [p, n] of present) merged.set(p, n);
    all.push([...found].map(([p, k]) => `${k} /${p}`).sort());
  }
  return all;
}
