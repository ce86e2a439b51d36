// Images: images/<hex>.json holds the OCI image config exactly as hashed (image id = sha256 of
// these bytes), and repositories.json maps name:tag to an image id.
import { promises as fs } from 'node:fs';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ImageConfig } from '../protocol/types';
import { type WriteFaults, fsyncPath, writeFileAtomic } from './atomic';
import { faultPoint } from './faults';
import { SHA256_ID, configBytes, hexOf, sha256 } from './ids';
import type { StorePaths } from './paths';
import { formatReference, parseReference } from './reference';

/** Where an image config's write may be killed (add, and addBytes for a loaded one). */
const IMAGE_ADD_FAULTS: WriteFaults = { temp: 'image-add.temp-written', renamed: 'image-add.renamed', written: 'image-add.written' };

/** A whole image id, bare or with its algorithm. */
const FULL_ID = /^(?:sha256:)?([a-f0-9]{64})$/;

export class Images {
  private readonly configs = new Map<string, ImageConfig>();
  private tags: Record<string, string> = {};

  constructor(private readonly paths: StorePaths) {}

  /**
   * Loads configs and tags; returns the names under images/ that are not loaded (not a config
   * whose sha256 is its name). Those stay on disk, untouched: `strata check` reports them.
   */
  async load(): Promise<string[]> {
    const bad: string[] = [];
    for (const name of await fs.readdir(this.paths.images)) {
      const id = `sha256:${name.replace(/\.json$/, '')}`;
      try {
        if (!name.endsWith('.json') || !SHA256_ID.test(id)) throw new Error('not an image config name');
        const bytes = await fs.readFile(this.paths.image(id));
        if (sha256(bytes) !== id) throw new Error('sha256 is not its id');
        this.configs.set(id, JSON.parse(bytes.toString('utf8')) as ImageConfig);
      } catch {
        bad.push(name);
      }
    }
    try {
      this.tags = JSON.parse(await fs.readFile(this.paths.repositories, 'utf8')) as Record<string, string>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') bad.push('repositories.json');
      this.tags = {};
    }
    return bad;
  }

  get(id: string): ImageConfig | undefined {
    return this.configs.get(id);
  }

  ids(): string[] {
    return [...this.configs.keys()];
  }

  tagsOf(id: string): string[] {
    return Object.entries(this.tags).filter(([, v]) => v === id).map(([k]) => k).sort();
  }

  allTags(): Record<string, string> {
    return { ...this.tags };
  }

  /** name[:tag], a full id, or a unique id prefix, as docker accepts. */
  resolve(ref: string): string {
    // Issue 14: a full id names that image and nothing else, whatever names a store holds (one
    // written before names were checked may hold "sha256:<id>" or "<id>:latest"). Docker's
    // ParseAnyReference makes it a digest reference before it looks at any name.
    const full = FULL_ID.exec(ref);
    if (full) {
      const id = `sha256:${full[1]}`;
      if (this.configs.has(id)) return id;
      throw new StrataError(ErrorCode.NotFound, `No such image: ${ref}`);
    }
    const byTag = this.tagLookup(ref);
    if (byTag) return byTag;
    const hex = hexOf(ref);
    if (/^[a-f0-9]{1,64}$/.test(hex)) {
      const found = this.ids().filter((id) => hexOf(id).startsWith(hex));
      if (found.length === 1) return found[0];
      if (found.length > 1) throw new StrataError(ErrorCode.NotFound, `image id ${ref} is ambiguous: ${found.length} images start with it`);
    }
    // Docker names what it looked for: nosuch -> nosuch:latest, docker.io/library/x -> x:latest.
    let looked = ref;
    try { looked = formatReference(parseReference(ref)); } catch { /* not a name: as given */ }
    throw new StrataError(ErrorCode.NotFound, `No such image: ${looked}`);
  }

  private tagLookup(ref: string): string | undefined {
    try {
      // A tag whose image is not loaded (gone, or left for `strata check`) names nothing.
      const id = this.tags[formatReference(parseReference(ref))];
      return id !== undefined && this.configs.has(id) ? id : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores a config; the same bytes give the same id, so storing twice is harmless. */
  async add(config: ImageConfig): Promise<string> {
    const bytes = configBytes(config);
    const id = sha256(bytes);
    if (!this.configs.has(id)) {
      await writeFileAtomic(this.paths.image(id), bytes, 0o600, IMAGE_ADD_FAULTS);
      this.configs.set(id, config);
    }
    return id;
  }

  /**
   * Stores a config as the bytes it came in (a loaded image keeps the id it has elsewhere: Go's
   * JSON, say, is not JSON.stringify's); `config` is those bytes parsed.
   */
  async addBytes(bytes: Buffer, config: ImageConfig): Promise<string> {
    const id = sha256(bytes);
    if (!this.configs.has(id)) {
      await writeFileAtomic(this.paths.image(id), bytes, 0o600, IMAGE_ADD_FAULTS);
      this.configs.set(id, config);
    }
    return id;
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.paths.image(id), { force: true });
    faultPoint('image-remove.unlinked');
    // On disk before the layers' removal that follows, so that no image outlives a layer it needs.
    await fsyncPath(this.paths.images);
    faultPoint('image-remove.synced');
    this.configs.delete(id);
  }

  /** Drops an image from the index only (its config was moved away by `strata check --repair`). */
  forget(id: string): void {
    this.configs.delete(id);
  }

  async tag(target: string, id: string): Promise<string> {
    const name = formatReference(parseReference(target));
    await this.writeTags({ ...this.tags, [name]: id });
    return name;
  }

  async untag(name: string): Promise<void> {
    const next = { ...this.tags };
    delete next[name];
    await this.writeTags(next);
  }

  async dropTagsWhere(pred: (name: string, id: string) => boolean): Promise<string[]> {
    const dropped = Object.entries(this.tags).filter(([k, v]) => pred(k, v)).map(([k]) => k);
    if (dropped.length) {
      const next = { ...this.tags };
      for (const k of dropped) delete next[k];
      await this.writeTags(next);
    }
    return dropped;
  }

  private async writeTags(next: Record<string, string>): Promise<void> {
    const sorted = Object.fromEntries(Object.entries(next).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    await writeFileAtomic(this.paths.repositories, JSON.stringify(sorted, null, 2) + '\n', 0o600, { temp: 'tags.temp-written', renamed: 'tags.renamed', written: 'tags.written' });
    this.tags = sorted;
  }
}
