// The graph on disk (README.md, "How it is built"): opening a store creates it (0700), claims it for this
// helper, finishes or removes whatever a crash left half-done, and loads the index into memory.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { randomBytes } from 'node:crypto';
import { Containers } from './containers';
import { Images } from './images';
import { Layers } from './layers';
import { lockStore, type StoreLock } from './lock';
import { StorePaths } from './paths';
import { repairStore } from './repair';
import { storeRootProblem } from './root-folder';

export { StorePaths, DEFAULT_ROOT } from './paths';
export type { LayerRecord } from './layers';
export type { ContainerRecord } from './containers';

export class Store {
  readonly layers: Layers;
  readonly images: Images;
  readonly containers: Containers;
  /** What start-up found and cleaned, for the log. */
  repairs: string[] = [];
  /** The names under tmp/ this helper made (stage()): work in flight, which `strata check` leaves alone. */
  private readonly staged = new Set<string>();

  private constructor(readonly paths: StorePaths, private readonly lock: StoreLock) {
    this.layers = new Layers(paths);
    this.images = new Images(paths);
    this.containers = new Containers(paths);
  }

  static async open(root: string): Promise<Store> {
    const problem = storeRootProblem(root);
    if (problem) throw new StrataError(ErrorCode.InvalidParams, problem);
    const paths = new StorePaths(root);
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    // moby CVE-2021-41091: a store that other users can enter exposes setuid files in layers.
    await fs.chmod(root, 0o700);
    for (const dir of [paths.graph, paths.images, paths.containers, paths.tmp]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = await lockStore(paths.pidFile, root);
    const store = new Store(paths, lock);
    try {
      store.repairs = await repairStore(store);
    } catch (err) {
      await lock.release();
      throw err;
    }
    return store;
  }

  /** A fresh staging folder under tmp/; whatever is in tmp/ at start-up is unfinished work. */
  async stage(): Promise<string> {
    const name = randomBytes(8).toString('hex');
    const dir = join(this.paths.tmp, name);
    await fs.mkdir(dir, { mode: 0o700 });
    this.staged.add(name);
    return dir;
  }

  /**
   * Which of the names under tmp/ (`present`) are stages this helper made: work in flight, which
   * `strata check` leaves alone. Names no longer there are forgotten: their work is over.
   */
  stagesInFlight(present: string[]): Set<string> {
    for (const n of this.staged) if (!present.includes(n)) this.staged.delete(n);
    return new Set(this.staged);
  }

  async close(): Promise<void> {
    await this.lock.release();
  }
}
