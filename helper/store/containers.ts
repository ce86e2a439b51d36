// Container records: containers/<id>/config.json, rewritten atomically at each state change.
// The rest of containers/<id>/ (init/, upper/, work/, ...) belongs to the runtime.
import { promises as fs } from 'node:fs';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ContainerOptions, ContainerStatus } from '../protocol/types';
import { removeTree, writeFileAtomic } from './atomic';
import { CONTAINER_ID } from './ids';
import type { StorePaths } from './paths';

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  imageId: string;
  command: string[];
  created: string;
  hostname: string;
  options: ContainerOptions;
  status: ContainerStatus;
  exitCode: number | null;
  pid: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * Set while the container's changes live in this layer's folder instead of its own upper dir:
   * commit of a stopped container moved them there (engine/upper.ts). Absent or null: upper/.
   */
  upperLayer?: string | null;
  /** Frozen by `strata pause` (engine/pause.ts) while it runs. */
  paused?: boolean;
  /** --restart bookkeeping (engine/restart.ts): restarts so far, stopped by stop/kill (not again
   *  until started by hand), ended by its helper's stop or crash (restarted when the next starts). */
  restartCount?: number;
  manuallyStopped?: boolean;
  stoppedWithHelper?: boolean;
}

const SAVE_FAULTS = { temp: 'container-save.temp-written', renamed: 'container-save.renamed', written: 'container-save.written' } as const;

export class Containers {
  private readonly byId = new Map<string, ContainerRecord>();

  constructor(private readonly paths: StorePaths) {}

  async load(): Promise<string[]> {
    const bad: string[] = [];
    for (const name of await fs.readdir(this.paths.containers)) {
      try {
        if (!CONTAINER_ID.test(name)) throw new Error('not a container id');
        const rec = JSON.parse(await fs.readFile(this.paths.containerConfig(name), 'utf8')) as ContainerRecord;
        if (rec.id !== name) throw new Error('id mismatch');
        this.byId.set(name, rec);
      } catch {
        bad.push(name);
      }
    }
    return bad;
  }

  list(): ContainerRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  /** A name, a full id or a unique id prefix, as docker accepts. */
  resolve(ref: string): ContainerRecord {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.list().find((c) => c.name === ref);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(ref)) {
      const found = this.list().filter((c) => c.id.startsWith(ref));
      if (found.length === 1) return found[0];
      if (found.length > 1) throw new StrataError(ErrorCode.NotFound, `container id ${ref} is ambiguous: ${found.length} containers start with it`);
    }
    throw new StrataError(ErrorCode.NotFound, `No such container: ${ref}`);
  }

  nameTaken(name: string): boolean {
    return this.list().some((c) => c.name === name);
  }

  async save(rec: ContainerRecord): Promise<void> {
    await fs.mkdir(this.paths.container(rec.id), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.paths.containerConfig(rec.id), JSON.stringify(rec, null, 2) + '\n', 0o600, SAVE_FAULTS);
    this.byId.set(rec.id, rec);
  }

  async remove(id: string): Promise<void> {
    const dir = this.paths.container(id);
    this.byId.delete(id);
    await removeTree(dir, `${dir}-removing`, { renamed: 'container-remove.renamed', synced: 'container-remove.synced', deleted: 'container-remove.deleted' });
  }

  /** Drops a record from the index only (its folder was moved away by `strata check --repair`). */
  forget(id: string): void {
    this.byId.delete(id);
  }
}
