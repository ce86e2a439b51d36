// Writes a COPY/ADD plan (copy.ts) as a new layer: a fresh folder of ours, in overlayfs upper-dir
// form, holding the copied entries and the directories above them (with the image's own metadata
// where they exist in it, 0755 and the --chown owner where the copy makes them, as Docker's
// MkdirAllAndChownNew). Nothing is ever written through a symlink: every parent is a directory
// this writer made (an in-memory record of the folder, as archive/extract.ts keeps one), so a
// symlink copied by one source cannot redirect the files of the next (node-tar CVE-2021-32803).
import { constants, createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { extractLayer } from '../../archive';
import { absPath, parentOf, rootBytes } from '../../archive/fspath';
import { walkTree } from '../../archive/native-fs';
import { mergedStat } from './chain-fs';
import { CopyError, type CopyItem, type CopyPlan } from './copy';
import type { Owner } from './owners';

type Kind = CopyItem['kind'];

class LayerFolder {
  private readonly made = new Map<string, Kind>([['.', 'dir']]);
  private readonly root: Buffer;

  constructor(dir: string, private readonly destDirs: string[], private readonly owner: Owner) {
    this.root = rootBytes(dir);
  }

  private path(rel: string): Buffer {
    return absPath(this.root, rel);
  }

  /** The directories above `rel`, made as the image has them, or new. */
  private async parents(rel: string): Promise<void> {
    const parts = parentOf(rel) === '.' ? [] : parentOf(rel).split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const kind = this.made.get(prefix);
      if (kind === 'dir') continue;
      if (kind) throw new CopyError(`cannot copy to ${Buffer.from(rel, 'latin1').toString('utf8')}: ${Buffer.from(prefix, 'latin1').toString('utf8')} is not a directory`);
      const lower = await mergedStat(this.destDirs, prefix);
      if (lower && lower.entry.kind !== 'dir') throw new CopyError(`cannot copy to ${Buffer.from(rel, 'latin1').toString('utf8')}: ${Buffer.from(prefix, 'latin1').toString('utf8')} is not a directory in the image`);
      const meta = lower ? { mode: lower.entry.mode & 0o7777, uid: lower.entry.uid, gid: lower.entry.gid } : { mode: 0o755, ...this.owner };
      await this.makeDir(prefix, meta.mode, meta.uid, meta.gid);
    }
  }

  private async makeDir(rel: string, mode: number, uid: number, gid: number): Promise<void> {
    const p = this.path(rel);
    if (this.made.get(rel) !== 'dir') await fs.mkdir(p);
    this.made.set(rel, 'dir');
    await fs.chown(p, uid, gid);
    await fs.chmod(p, mode);
  }

  /** Whatever this copy made at `rel` before, gone (a later source replaces an earlier one's entry). */
  private async clear(rel: string): Promise<void> {
    if (!this.made.has(rel)) return;
    await fs.rm(this.path(rel), { recursive: true, force: true });
    for (const k of [...this.made.keys()]) if (k === rel || k.startsWith(`${rel}/`)) this.made.delete(k);
  }

  async place(item: CopyItem): Promise<void> {
    if (item.dest === '.') return; // the root's own metadata is not part of a layer
    await this.parents(item.dest);
    if (item.kind === 'dir') {
      if (this.made.get(item.dest) !== 'dir') await this.clear(item.dest);
      return this.makeDir(item.dest, item.mode, item.uid, item.gid);
    }
    await this.clear(item.dest);
    const p = this.path(item.dest);
    if (item.kind === 'symlink') {
      await fs.symlink(Buffer.from(item.linkTarget!, 'latin1'), p);
      await fs.lchown(p, item.uid, item.gid);
    } else {
      // EXCL: the name is new in a folder of ours; nothing can make this follow a link.
      await fs.copyFile(absPath(rootBytes(item.from!.dir), item.from!.rel), p, constants.COPYFILE_EXCL);
      await fs.chown(p, item.uid, item.gid);
      await fs.chmod(p, item.mode);
    }
    this.made.set(item.dest, item.kind);
  }
}

/** ADD's local archive: unpacked (safely: archive/extract.ts) beside the layer, then placed at its destination. */
async function unpackArchive(folder: LayerFolder, archive: CopyPlan['archives'][number], scratch: string): Promise<void> {
  const into = join(scratch, `unpack-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);
  await extractLayer(createReadStream(absPath(rootBytes(archive.from.dir), archive.from.entry.path)), into);
  for (const e of await walkTree(into)) {
    const dest = e.path === '.' ? archive.dest : archive.dest === '.' ? e.path : `${archive.dest}/${e.path}`;
    if (e.kind !== 'dir' && e.kind !== 'file' && e.kind !== 'symlink') throw new CopyError(`ADD: ${Buffer.from(e.path, 'latin1').toString('utf8')} in the archive is a ${e.kind}: only files, directories and symlinks are unpacked`);
    const item: CopyItem = { dest, kind: e.kind, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid };
    if (e.kind === 'file') item.from = { dir: into, rel: e.path, size: e.size };
    if (e.kind === 'symlink') item.linkTarget = e.linkTarget;
    if (e.path === '.' && archive.dest !== '.') item.mode = 0o755;
    await folder.place(item);
  }
}

/** Fills `layerDir` (empty, ours) with the plan; `scratch` is a folder of ours for unpacking archives. */
export async function writeCopyLayer(plan: CopyPlan, layerDir: string, destDirs: string[], owner: Owner | null, scratch: string): Promise<void> {
  const folder = new LayerFolder(layerDir, destDirs, owner ?? { uid: 0, gid: 0 });
  for (const item of plan.items) await folder.place(item);
  for (const archive of plan.archives) await unpackArchive(folder, archive, scratch);
}
