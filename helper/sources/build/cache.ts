// The build cache: what a step made before, found again by what it was given. A step's key is the
// sha256 of its parent state (the image config the step started from, exactly) and of the step as
// it ran: the instruction after ARG/ENV expansion with the build args in scope (RUN's `|N K=V`
// form), and for COPY/ADD the hash of the copied files' content and metadata. The value is the
// state the step made (its image config; its layer is in the graph).
//
// The index lives in the store, <root>/build-cache.json, written atomically (write, fsync, rename),
// so it survives helper restarts. Each entry names the images that hold it (the images a build
// made: the tagged result, and each earlier stage's): an entry is used only while one of them
// exists and every layer it names is in the graph, and it is dropped at the next write once none
// does. So `rmi` and `image prune` drop the cache with the images, as Docker's intermediate
// images go with the images built on them.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ImageConfig } from '../../protocol/types';
import { writeFileAtomic } from '../../store/atomic';
import { chainIds, sha256 } from '../../store/ids';

export interface CacheEntry {
  config: ImageConfig;
  holders: string[];
}

interface IndexFile { version: 1; entries: Record<string, CacheEntry> }

/** What the cache needs to know of the store. */
export interface CacheStore {
  root: string;
  imageExists(id: string): boolean;
  layerExists(id: string): boolean;
}

export function stateKey(config: ImageConfig): string {
  return sha256(JSON.stringify(config));
}

export function stepKey(parent: ImageConfig, step: string): string {
  return sha256(`${stateKey(parent)}\n${step}`);
}

export class BuildCache {
  private entries: Record<string, CacheEntry> = {};
  private loaded = false;

  constructor(private readonly store: CacheStore) {}

  private get file(): string {
    return join(this.store.root, 'build-cache.json');
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as IndexFile;
      if (parsed.version === 1 && parsed.entries && typeof parsed.entries === 'object') this.entries = parsed.entries;
    } catch (err) {
      // Missing: no cache yet. Unreadable: a cache is only ever a shortcut; start a new one.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.entries = {};
    }
    this.loaded = true;
  }

  private usable(e: CacheEntry): boolean {
    return e.holders.some((id) => this.store.imageExists(id)) && chainIds(e.config.rootfs.diff_ids).every((id) => this.store.layerExists(id));
  }

  async lookup(key: string): Promise<ImageConfig | undefined> {
    await this.load();
    const e = this.entries[key];
    return e && this.usable(e) ? e.config : undefined;
  }

  /**
   * Records the steps of a finished build, held by `holder` (an image it made), and drops the
   * entries no image holds any more. Call under the store's mutex: builds write it one at a time.
   */
  async save(steps: Map<string, ImageConfig>, holder: string): Promise<void> {
    await this.load();
    // A build whose every step was there, held by the same image, changes nothing: no write (an
    // fsynced write per cached build was a tenth of its time).
    let changed = false;
    for (const [key, config] of steps) {
      const e = this.entries[key];
      if (e && stateKey(e.config) === stateKey(config)) { if (!e.holders.includes(holder)) { e.holders.push(holder); changed = true; } }
      else { this.entries[key] = { config, holders: [holder] }; changed = true; }
    }
    for (const [key, e] of Object.entries(this.entries)) {
      const held = e.holders.filter((id) => this.store.imageExists(id));
      if (held.length !== e.holders.length) { e.holders = held; changed = true; }
      if (!this.usable(e)) { delete this.entries[key]; changed = true; }
    }
    if (!changed) return;
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, entries: this.entries }), 0o600, { temp: 'build-cache.temp-written', renamed: 'build-cache.renamed', written: 'build-cache.written' });
  }
}
