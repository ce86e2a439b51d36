// Where `strata check --repair` puts what it cannot place: <root>/lost+found/<time>/, with each
// thing under its own path in the store (graph/<id>, images/<id>.json, containers/<id>, ...), moved
// there by rename (same file system: nothing is copied, nothing is lost), plus tags.json, the tags
// it dropped. Made only when something is moved; inside the 0700 store root, as the layers were.
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncPath, writeFileAtomic } from './atomic';
import type { StorePaths } from './paths';

export class LostFound {
  private dir: string | undefined;
  private tags: Record<string, string> = {};

  constructor(private readonly paths: StorePaths) {}

  /** The folder of this repair, once something was put there. */
  get path(): string | undefined {
    return this.dir;
  }

  private async folder(): Promise<string> {
    if (!this.dir) {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      await fs.mkdir(this.paths.lostFound, { recursive: true, mode: 0o700 });
      this.dir = await fs.mkdtemp(join(this.paths.lostFound, `${stamp}-`));
    }
    return this.dir;
  }

  /** Moves `rel` (a path under the store root) into this repair's folder; says where, for the report. */
  async move(rel: string): Promise<string> {
    const to = join(await this.folder(), rel);
    await fs.mkdir(dirname(to), { recursive: true, mode: 0o700 });
    await fs.rename(join(this.paths.root, rel), to);
    await fsyncPath(dirname(join(this.paths.root, rel)));
    return `moved to ${to.slice(this.paths.root.length + 1)}`;
  }

  /** Keeps a dropped tag (name -> image id) in tags.json, so that it can be put back by hand. */
  async keepTag(name: string, id: string): Promise<string> {
    this.tags[name] = id;
    const file = join(await this.folder(), 'tags.json');
    await writeFileAtomic(file, JSON.stringify(this.tags, null, 2) + '\n');
    return `dropped; kept in ${file.slice(this.paths.root.length + 1)}`;
  }
}
