// The bytes behind strata-layer:, strata-image: and strata-container: URIs, asked of the helper in
// batches and kept per version (issue 10, item 4). Measured: Open Changes of a 300-file layer took
// 21 s in VS Code here because each side of each file was one file.read, and each file.read cost the
// helper ~43 ms (it starts strata-fs to look the path up in each layer, then once more to cat it):
// 300 of them one after another 12.8 s, all at once 8.8 s; one files.read of the 300 takes 37 ms.
// So: reads asked for in the same moment go as one files.read per version (up to BATCH_PATHS
// paths), the multi-diff editor's files are asked for before it opens (prefetch), and a layer's
// or an image's files are kept (a version never changes; a container's is asked again after a
// second, or at once when the helper says its files changed).
import type { FileContent } from '../../helper/protocol';
import type { Helper } from '../client/helper';
import { versionKey, type Version } from './uris';

/** Paths in one files.read; the helper takes up to 4096, and answers within 4 MiB of bytes. */
const BATCH_PATHS = 512;
/** How long a container file's bytes are reused: stat and readFile come in pairs. */
const CONTAINER_FRESH_MS = 1000;
/** Versions whose files are kept (the oldest used goes first), and files kept in all. */
const VERSIONS_KEPT = 16;
const FILES_KEPT = 20_000;

const MISSING: FileContent = { kind: 'missing', size: 0, mode: 0, truncated: false };

export interface CachedFile {
  /** When its bytes were asked for (a container file's mtime: a changed file reads as newer). */
  at: number;
  content: Promise<FileContent>;
}

type RealVersion = Exclude<Version, { scratch: true }>;

export class FileCache {
  private readonly versions = new Map<string, Map<string, CachedFile>>();
  private readonly queued = new Map<string, { version: RealVersion; paths: Map<string, (c: Promise<FileContent>) => void> }>();
  private flushing: NodeJS.Timeout | undefined;
  private size = 0;

  constructor(private readonly helper: Helper) {}

  /** A path's bytes in a version: from the cache, or in the next batch. */
  get(version: Version, path: string): CachedFile {
    if ('scratch' in version) return { at: 0, content: Promise.resolve(MISSING) };
    const key = versionKey(version);
    const files = this.filesOf(key);
    const hit = files.get(path);
    if (hit && (!('container' in version) || Date.now() - hit.at < CONTAINER_FRESH_MS)) return hit;
    const entry: CachedFile = { at: Date.now(), content: this.enqueue(key, version, path) };
    entry.content.catch(() => { if (files.get(path) === entry) this.remove(files, path); });
    if (!files.has(path)) this.size++;
    files.set(path, entry);
    this.trim();
    return entry;
  }

  /** Asks for these paths now (in batches), so that the editor finds them ready. */
  prefetch(version: Version, paths: readonly string[]): void {
    for (const path of paths) this.get(version, path);
  }

  /** Forgets a container's files (they changed). */
  forget(version: Version, paths?: readonly string[]): void {
    const files = this.versions.get(versionKey(version));
    if (!files) return;
    for (const path of paths ?? [...files.keys()]) this.remove(files, path);
  }

  private remove(files: Map<string, CachedFile>, path: string): void {
    if (files.delete(path)) this.size--;
  }

  private filesOf(key: string): Map<string, CachedFile> {
    let files = this.versions.get(key);
    if (files) {
      // Most recently used last, so the oldest is the first one dropped.
      this.versions.delete(key);
    } else {
      files = new Map();
    }
    this.versions.set(key, files);
    return files;
  }

  private trim(): void {
    while (this.versions.size > VERSIONS_KEPT || (this.size > FILES_KEPT && this.versions.size > 1)) {
      const [oldest, files] = this.versions.entries().next().value as [string, Map<string, CachedFile>];
      this.size -= files.size;
      this.versions.delete(oldest);
    }
  }

  private enqueue(key: string, version: RealVersion, path: string): Promise<FileContent> {
    let q = this.queued.get(key);
    if (!q) this.queued.set(key, (q = { version, paths: new Map() }));
    const queue = q;
    const content = new Promise<FileContent>((resolve, reject) => queue.paths.set(path, (c) => c.then(resolve, reject)));
    // Whatever else is asked for in this moment (the editor asks for many files at once) joins.
    this.flushing ??= setTimeout(() => this.flush(), 0);
    return content;
  }

  private flush(): void {
    this.flushing = undefined;
    const batches = [...this.queued.values()];
    this.queued.clear();
    for (const { version, paths } of batches) {
      const all = [...paths];
      for (let i = 0; i < all.length; i += BATCH_PATHS) this.readBatch(version, all.slice(i, i + BATCH_PATHS));
    }
  }

  private readBatch(version: RealVersion, batch: [string, (c: Promise<FileContent>) => void][]): void {
    const answer = this.helper.client().then((c) => c.request('files.read', { version, paths: batch.map(([p]) => p) }));
    const alone = async (path: string) => (await this.helper.client()).request('file.read', { version, path });
    batch.forEach(([path, settle], i) => {
      // null: too big for a batch (over 1 MiB) or changed while read. A batch refused whole (a path
      // of it gone bad meanwhile, or a helper without files.read): each file on its own, so one
      // path's error stays that path's.
      settle(answer.then(({ files }) => files[i] ?? alone(path), () => alone(path)));
    });
  }
}
