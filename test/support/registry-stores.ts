// The stores a registry test makes (a source, and fresh ones to pull into), their CLI run with the
// test's own login files (never the machine's ~/.docker), and closed together afterwards; and the
// whole of a registry test's setup: its temp folder, the registry, the counting proxy, the stores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageDetail } from '../../helper/protocol/types';
import { Proxy, Registry } from './registry';
import { TestStore, busyboxTarball } from './strata';

export class RegistryStores {
  /** XDG_CONFIG_HOME (strata login) and DOCKER_CONFIG under the test's own folder. */
  readonly env: Record<string, string>;
  private readonly stores: TestStore[] = [];

  constructor(private readonly tmp: string) {
    this.env = { XDG_CONFIG_HOME: join(tmp, 'xdg'), DOCKER_CONFIG: join(tmp, 'docker') };
  }

  /** A new empty store, closed with the others. */
  fresh(label: string): TestStore {
    const s = TestStore.create(label);
    this.stores.push(s);
    return s;
  }

  /** A new store with busybox imported as bb:imported (its tar: TMP/busybox.tar): a test's source of images. */
  async freshWithBusybox(label: string): Promise<TestStore> {
    const s = this.fresh(label);
    await this.ok(s, ['import', (await busyboxTarball(this.tmp)).tar, 'bb:imported']);
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

/** What startRegistryFixture made; `stop` ends all of it and removes the folder. */
export interface RegistryFixture {
  tmp: string;
  registry: Registry;
  /** In front of the registry: counts the requests, can hold one (support/registry.ts). */
  proxy: Proxy;
  reg: RegistryStores;
  stop(): Promise<void>;
}

/**
 * A temp folder (strata-LABEL-*), Debian's docker-registry with its storage in it, the counting
 * proxy in front, and RegistryStores with their login files there. A start that fails half-way
 * stops what it had started before it throws; `stop` goes through every step even if one fails
 * (a store that does not close must not leave the registry running), then throws the first error.
 */
export async function startRegistryFixture(label: string): Promise<RegistryFixture> {
  const tmp = mkdtempSync(join(tmpdir(), `strata-${label}-`));
  const reg = new RegistryStores(tmp);
  let registry: Registry | undefined;
  let proxy: Proxy | undefined;
  const stop = async () => {
    let failure: unknown;
    for (const step of [() => reg.closeAll(), () => proxy?.stop(), () => registry?.stop()]) {
      await Promise.resolve().then(step).catch((err: unknown) => { failure ??= err; });
    }
    rmSync(tmp, { recursive: true, force: true });
    if (failure) throw failure;
  };
  try {
    registry = await Registry.start(join(tmp, 'registry'));
    proxy = await Proxy.start(registry.host);
  } catch (err) {
    await stop().catch(() => undefined); // the start's own error is the one to see
    throw err;
  }
  return { tmp, registry, proxy, reg, stop };
}
