// A throw-away store for runtime tests: a temp dir under /tmp with one busybox layer, container
// specs with fresh ids, helpers to run a container to its end or to wait for some output, and a
// cleanup that removes every container's cgroups, mounts and the whole dir.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBusyboxRootfs } from '../../helper/sources/busybox';
import { cleanupContainerMounts, launch, removeCgroups } from '../../helper/runtime';
import type { ContainerProcess, LaunchSpec } from '../../helper/runtime';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RuntimeStore {
  root: string;
  layerDir: string;
  spec(overrides?: Partial<LaunchSpec>): LaunchSpec;
  /** A running container (`sleep 1000`) to exec into; dispose() kills it. */
  sleeper(): Promise<{ spec: LaunchSpec; init: ContainerProcess }>;
  dispose(): Promise<void>;
}

export async function makeRuntimeStore(): Promise<RuntimeStore> {
  const root = mkdtempSync('/tmp/strata-runtime-test-');
  const layerDir = join(root, 'graph', 'busybox', 'layer');
  await buildBusyboxRootfs(layerDir);
  const containers: LaunchSpec[] = [];
  const sleepers: ContainerProcess[] = [];
  const store: RuntimeStore = {
    root,
    layerDir,
    spec(overrides = {}) {
      const id = randomBytes(32).toString('hex');
      const spec: LaunchSpec = {
        id,
        storeRoot: root,
        containerDir: join(root, 'containers', id),
        layerDirs: [layerDir],
        cmd: ['true'],
        env: [DEFAULT_PATH],
        cwd: '/',
        user: '',
        hostname: '',
        tty: false,
        openStdin: false,
        network: 'none',
        ...overrides,
      };
      containers.push(spec);
      return spec;
    },
    async sleeper() {
      const spec = store.spec({ cmd: ['sleep', '1000'] });
      const init = await launch(spec);
      sleepers.push(init);
      return { spec, init };
    },
    async dispose() {
      for (const init of sleepers) {
        init.signal('SIGKILL');
        await init.exited;
      }
      for (const c of containers) {
        await removeCgroups(c.id).catch(() => {});
        await cleanupContainerMounts(c.containerDir).catch(() => {});
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  return store;
}

/** Collects a stream's text and waits for a pattern in it (with a deadline, so a broken runtime
 *  fails the test instead of hanging it). */
export class Output {
  text = '';
  constructor(stream: NodeJS.ReadableStream | null) {
    stream?.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
  }

  async waitFor(pattern: RegExp, from = 0, deadlineMs = 20000): Promise<RegExpExecArray> {
    for (let waited = 0; waited < deadlineMs; waited += 10) {
      const m = pattern.exec(this.text.slice(from));
      if (m) return m;
      await sleep(10);
    }
    throw new Error(`no ${pattern} in output: ${JSON.stringify(this.text)}`);
  }
}

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

export async function finish(proc: ContainerProcess): Promise<Finished> {
  const out = new Output(proc.stdout);
  const err = new Output(proc.stderr);
  const code = await proc.exited;
  return { code, stdout: out.text, stderr: err.text };
}

/** Launches a container and waits for its end. */
export async function runToEnd(spec: LaunchSpec, stdin?: string): Promise<Finished> {
  const proc = await launch(spec);
  const done = finish(proc);
  if (proc.stdin) proc.stdin.end(stdin ?? '');
  return done;
}

/** Polls a condition (a file's content, a process appearing) until true or a deadline. */
export async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, deadlineMs = 20000): Promise<T> {
  for (let waited = 0; waited < deadlineMs; waited += 10) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}
