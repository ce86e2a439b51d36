// The layers of the graph: graph/<chain id>/layer/ (an overlayfs upper dir), graph/<id>/json and,
// for an imported layer, graph/<id>/tar-split (what reproduces its tar: archive/tar-split.ts).
// A layer appears only complete: it is built in tmp/, flushed, and renamed into graph/ whole.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { fsyncPath, removeTree, syncTree, writeFileAtomic } from './atomic';
import { faultPoint } from './faults';
import { SHA256_ID, hexOf } from './ids';
import type { StorePaths } from './paths';

/** The marker file in graph/<id>/ of a layer no image may use yet, or any more (claim, markUnclaimed). */
export const UNCLAIMED = 'unclaimed';

/** graph/<id>/json, as on disk (the design's field names). */
export interface LayerRecord {
  id: string;
  parent: string | null;
  diff_id: string;
  size: number;
  created: string;
  created_by: string;
  comment: string;
  /** An imported layer whose graph/<id>/tar-split reproduces its tar. Absent: its tar is its canonical tar. */
  tar_split?: true;
  /** An imported layer whose tar cannot be reproduced from its folder, and why (its entries overwrite each other). */
  unreproducible?: string;
}

export class Layers {
  private readonly byId = new Map<string, LayerRecord>();

  constructor(private readonly paths: StorePaths) {}

  /** Loads every complete layer; returns the names of folders that are not complete layers. */
  async load(): Promise<string[]> {
    const bad: string[] = [];
    for (const name of await fs.readdir(this.paths.graph)) {
      const id = `sha256:${name}`;
      if (!SHA256_ID.test(id)) { bad.push(name); continue; }
      try {
        const rec = JSON.parse(await fs.readFile(this.paths.layerJson(id), 'utf8')) as LayerRecord;
        await fs.access(this.paths.layerFiles(id));
        if (rec.id !== id) throw new Error('id mismatch');
        this.byId.set(id, rec);
      } catch {
        bad.push(name);
      }
    }
    return bad;
  }

  get(id: string): LayerRecord | undefined {
    return this.byId.get(id);
  }

  list(): LayerRecord[] {
    return [...this.byId.values()];
  }

  /** A full id, or a unique prefix of at least 4 hex digits (what `history` shows is 12). */
  resolve(ref: string): LayerRecord {
    const hex = hexOf(ref);
    const exact = this.byId.get(`sha256:${hex}`);
    if (exact) return exact;
    const found = this.list().filter((l) => hexOf(l.id).startsWith(hex));
    if (found.length === 1) return found[0];
    if (found.length > 1) throw new StrataError(ErrorCode.NotFound, `layer id ${ref} is ambiguous: ${found.length} layers start with it`);
    throw new StrataError(ErrorCode.NotFound, `no such layer: ${ref}`);
  }

  /** The chain from the base up to `id`, base first. */
  chain(id: string): LayerRecord[] {
    const out: LayerRecord[] = [];
    for (let cur: string | null = id; cur; ) {
      const rec = this.byId.get(cur);
      if (!rec) throw new StrataError(ErrorCode.NotFound, `layer ${cur} is missing from the store`);
      out.unshift(rec);
      cur = rec.parent;
    }
    return out;
  }

  /**
   * Moves a staged layer (stageDir/layer/ already filled, and stageDir/tar-split for an imported
   * one) into graph/<id>, whole. If the same layer already exists (same change on the same
   * parent: same chain id) the stage is discarded.
   * The files are flushed first, unless the caller says they already are (`filesSynced`: a
   * syncfs after the last write to them); the record and the stage's entries are fsynced either way.
   * `unclaimed`: the layer arrives with the marker that says no image uses it yet (import, commit, a build step, load):
   * killed before its image is written and claim() is called, start-up repair removes it rather
   * than leave a layer nothing uses (store/repair.ts, finishUnclaimed).
   */
  async adopt(stageDir: string, rec: LayerRecord, opts: { filesSynced?: boolean; unclaimed?: boolean } = {}): Promise<{ record: LayerRecord; created: boolean }> {
    const existing = this.byId.get(rec.id);
    if (existing) {
      await fs.rm(stageDir, { recursive: true, force: true });
      return { record: existing, created: false };
    }
    faultPoint('adopt.begin');
    // (Made before the json, whose writeFileAtomic fsyncs stageDir: the marker's entry lasts too.)
    if (opts.unclaimed) await fs.writeFile(join(stageDir, UNCLAIMED), '', { mode: 0o600 });
    faultPoint('adopt.marked');
    // (writeFileAtomic fsyncs stageDir too, so its entry for layer/ lasts as well.)
    await writeFileAtomic(join(stageDir, 'json'), JSON.stringify(rec, null, 2) + '\n', 0o600);
    faultPoint('adopt.json-written');
    if (!opts.filesSynced) await syncTree(stageDir);
    faultPoint('adopt.files-synced');
    await fs.rename(stageDir, this.paths.layer(rec.id));
    faultPoint('adopt.renamed');
    // The rename lasts only once graph/ is on disk: a crash after an answer must not lose the layer.
    await fsyncPath(this.paths.graph);
    faultPoint('adopt.graph-synced');
    this.byId.set(rec.id, rec);
    return { record: rec, created: true };
  }

  /**
   * An image uses the layer now: its unclaimed marker goes (if it has one). No fsync: should the
   * unlink not last, start-up finds the marker on a layer an image uses and drops it then.
   */
  async claim(id: string): Promise<void> {
    await fs.rm(this.paths.layerUnclaimed(id), { force: true });
    faultPoint('claim.unlinked');
  }

  /**
   * rmi, before it removes the image that uses the layer: the marker says the layer goes, so that
   * a kill between the image's removal and the layer's leaves no layer that nothing uses. Fsynced
   * before the image is removed, so it is on disk whenever that removal is.
   */
  async markUnclaimed(id: string): Promise<void> {
    await fs.writeFile(this.paths.layerUnclaimed(id), '', { mode: 0o600 });
    faultPoint('unclaim.marked');
    await fsyncPath(this.paths.layer(id));
    faultPoint('unclaim.synced');
  }

  async isUnclaimed(id: string): Promise<boolean> {
    return fs.access(this.paths.layerUnclaimed(id)).then(() => true, () => false);
  }

  async remove(id: string): Promise<void> {
    const dir = this.paths.layer(id);
    this.byId.delete(id);
    await removeTree(dir, `${dir}-removing`, { renamed: 'layer-remove.renamed', synced: 'layer-remove.synced', deleted: 'layer-remove.deleted' });
  }

  /** Drops a layer from the index only: its folder is not (or no longer) a usable layer. */
  forget(id: string): void {
    this.byId.delete(id);
  }

  children(id: string): LayerRecord[] {
    return this.list().filter((l) => l.parent === id);
  }
}
