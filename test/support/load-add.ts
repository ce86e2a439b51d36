// Hostile input through `strata load` and a build's `ADD local.tar` (issue 14; the tests:
// test/hostile/load-corpus-*, add-corpus-*, load-archives, load-add-fuzz): a store with a good
// image, a victim folder beside it, and one function each that runs an input through the CLI and
// checks the outcome:
// refused (with the importer's message, when the input's case names it) and the store byte for byte
// as it was, or a safe result, taken away again; either way what store-guard.ts checks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTar } from './archive-tar';
import { dockerArchiveEntries, ociArchiveEntries, type ArchiveImage } from './image-archive';
import { besideStore, guardedRun, type Guarded } from './store-guard';
import { TestStore, treeSnapshot } from './strata';
import { namedTars, type NamedTar } from './tar-corpus';
import { HOST_MARKERS } from './tar-fuzz';

export const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export const archiveOf = async (format: 'docker' | 'oci', images: ArchiveImage[]): Promise<Buffer> => buildTar(format === 'docker' ? dockerArchiveEntries(images) : ociArchiveEntries(images));

/** One store and its victim for a test file; `refused` undefined: either outcome may be right (a fuzzed input). */
export class HostileStore {
  readonly counts = { load: 0, loadRefused: 0, add: 0, addRefused: 0 };
  private constructor(readonly store: TestStore, readonly guarded: Guarded, private readonly context: string) {}

  static async create(label: string): Promise<HostileStore> {
    const store = TestStore.create(label);
    await store.ok(['import', '-', 'good'], { input: await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/os-release', data: 'ok\n' }]) });
    const context = mkdtempSync(join(tmpdir(), 'strata-add-context-'));
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nADD local.tar /dst/\n');
    return new HostileStore(store, besideStore(store), context);
  }

  async close(): Promise<void> {
    const images = await this.store.ok(['images']);
    await this.store.close();
    rmSync(this.context, { recursive: true, force: true });
    // The helper answered all along, and still has its good image and no hostile one.
    assert.match(images, /^good\s+latest\s/m);
    assert.doesNotMatch(images, /^(hostile|added)\s/m);
  }

  /** A success is undone (rmi) and must have been harmless: after it the store is as before. */
  private async undone(what: string, before: string[], tag: string): Promise<void> {
    await this.store.ok(['rmi', tag]);
    // (A build's cache index keeps its entry until the next build writes it: not part of the image.)
    const listing = (l: string[]) => l.filter((x) => !x.startsWith('build-cache.json '));
    assert.deepEqual(listing(treeSnapshot(this.store.root)), listing(before), `${what}: taken away again, the store is as it was`);
  }

  /** `strata load` of `archive`: refused (matching `refused`) or loaded as hostile:latest, then removed. */
  async load(what: string, archive: Buffer, refused: RegExp | null | undefined, hostPaths: string[] = []): Promise<void> {
    const r = await guardedRun(this.guarded, what, () => this.store.cli(['load'], { input: archive }), [...HOST_MARKERS, ...hostPaths]);
    this.counts.load++;
    if (r.code !== 0) {
      this.counts.loadRefused++;
      assert.match(r.stderr, /^Error response from daemon: load: \S/, `${what}: ${r.stderr}`);
      if (refused) assert.match(r.stderr, refused, what);
      assert.ok(refused !== null, `${what}: a layer the importer takes is loaded, not refused: ${r.stderr}`);
      return;
    }
    assert.ok(!refused, `${what}: loaded, but the importer refuses it (${refused})`);
    assert.match(r.stdout, /^Loaded image: hostile:latest$/m, what);
    await this.undone(what, r.before, 'hostile');
  }

  /** A build of FROM scratch + ADD local.tar /dst/: refused, or an image whose layer holds what ADD made. */
  async add(what: string, tar: Buffer, refused: RegExp | null | undefined, hostPaths: string[] = []): Promise<void> {
    writeFileSync(join(this.context, 'local.tar'), tar);
    const r = await guardedRun(this.guarded, what, () => this.store.cli(['build', '-q', '-t', 'added', this.context]), [...HOST_MARKERS, ...hostPaths]);
    this.counts.add++;
    // ADD refuses on its own what a layer may hold but a copy may not: devices, fifos, whiteouts.
    const own = /only files, directories and symlinks are unpacked/;
    if (r.code !== 0) {
      this.counts.addRefused++;
      if (refused) assert.match(r.stderr, new RegExp(`${refused.source}|${own.source}`), what);
      else if (refused === null) assert.match(r.stderr, own, `${what}: the importer takes it, so only ADD's own rule may refuse it`);
      return;
    }
    // What does not start as a tar or a gzip (random bytes, xz, text) is copied as the file it is;
    // a tar is unpacked, safely, and one the importer refuses never makes an image.
    const [image] = JSON.parse(await this.store.ok(['inspect', 'added']));
    const layer = join(this.store.root, 'graph', image.Strata.Layers[0].Id.slice(7), 'layer');
    const copied = existsSync(join(layer, 'dst/local.tar'));
    const archive = tar.length >= 2 && (tar.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])) || tar.toString('latin1', 257, 262) === 'ustar');
    assert.equal(copied, !archive, `${what}: ${archive ? 'a tar or gzip is unpacked' : 'what is not one is copied as a file'}`);
    if (refused) assert.ok(copied, `${what}: refused by the importer, so ADD may only copy it as a file`);
    await this.undone(what, r.before, 'added');
  }
}

/**
 * Half of the named cases (every other one), so that two test files share them: each file runs in
 * a few minutes on a busy machine, well within the runner's limit for one file.
 */
async function namedHalf(half: 0 | 1): Promise<NamedTar[]> {
  return (await namedTars()).filter((_, i) => i % 2 === half);
}

/** Each case as the one layer of an image archive, a docker-archive and an OCI layout in turn. */
async function loadEach(h: HostileStore, cases: NamedTar[]): Promise<void> {
  for (const [i, c] of cases.entries()) {
    const format = i % 2 ? 'oci' : 'docker';
    await h.load(`${c.row}, ${c.label} (${format})`, await archiveOf(format, [{ layers: [c.tar], tags: ['hostile:latest'] }]), c.refused, c.hostPaths);
  }
}

/** Each case as the local tar of ADD. */
async function addEach(h: HostileStore, cases: NamedTar[]): Promise<void> {
  for (const c of cases) await h.add(`${c.row}, ${c.label} (ADD)`, c.tar, c.refused, c.hostPaths);
}

/**
 * A test file's store (made before its tests, closed after) and its test: half `half` of the named
 * cases through `way`. Returns the store, for the file's further tests.
 */
export function namedCasesThrough(way: 'load' | 'ADD', half: 0 | 1): () => HostileStore {
  let h: HostileStore;
  before(async () => { h = await HostileStore.create(`${way.toLowerCase()}-corpus-${half + 1}`); });
  after(async () => { await h.close(); });
  const through = way === 'load' ? 'as the layer of an image archive, through strata load' : 'as the local tar of ADD, through strata build';
  test(`named bad tars (half ${half + 1} of 2) ${through}`, async (t) => {
    const cases = await namedHalf(half);
    await (way === 'load' ? loadEach(h, cases) : addEach(h, cases));
    t.diagnostic(`${cases.length} named cases through ${way}, ${way === 'load' ? h.counts.loadRefused : h.counts.addRefused} refused`);
  });
  return () => h;
}
