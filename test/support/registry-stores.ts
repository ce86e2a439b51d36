// The stores a registry test makes (a source, and fresh ones to pull into), their CLI run with the
// test's own login files (never the machine's ~/.docker), and closed together afterwards.
import { join } from 'node:path';
import type { ImageDetail } from '../../helper/protocol/types';
import { TestStore } from './strata';

export class RegistryStores {
  /** XDG_CONFIG_HOME (strata login) and DOCKER_CONFIG under the test's own folder. */
  readonly env: Record<string, string>;
  private readonly stores: TestStore[] = [];

  constructor(tmp: string) {
    this.env = { XDG_CONFIG_HOME: join(tmp, 'xdg'), DOCKER_CONFIG: join(tmp, 'docker') };
  }

  /** A new empty store, closed with the others. */
  fresh(label: string): TestStore {
    const s = TestStore.create(label);
    this.stores.push(s);
    return s;
  }

  /** `strata ARGS` on `store` with these login files; fails, saying what it printed, unless it exits 0. */
  async ok(store: TestStore, args: string[], input?: string): Promise<string> {
    const r = await store.cli(args, { env: this.env, input });
    if (r.code !== 0) throw new Error(`strata ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** image.inspect with each layer's tar-split checked (`tarVerified`). */
  async inspect(store: TestStore, ref: string): Promise<ImageDetail> {
    const client = await store.client();
    try { return await client.request('image.inspect', { ref, verify: true }); } finally { client.dispose(); }
  }

  async closeAll(): Promise<void> {
    for (const s of this.stores) await s.close();
  }
}
