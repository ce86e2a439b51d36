// On an architecture the seccomp filter has no syscall list for, containers are refused rather than
// run without the filter. Seen here through a shim built as it would be for such an architecture.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { execIn, launch, ContainerStartError } from '../../helper/runtime';
import { DEFAULT_PATH, makeRuntimeStore, type RuntimeStore } from '../support/runtime-fixture';
import { buildShimVariant } from '../support/shim-build';

let store: RuntimeStore;
let unlisted: string;
before(async () => {
  store = await makeRuntimeStore();
  unlisted = mkdtempSync('/tmp/strata-shim-unlisted-arch-');
  buildShimVariant(unlisted, ['STRATA_TEST_UNLISTED_ARCH']);
});
after(async () => {
  delete process.env.STRATA_NATIVE_DIR;
  await store.dispose();
  rmSync(unlisted, { recursive: true, force: true });
});

/** Runs `start` with the shim built for an architecture without a syscall list. */
async function withUnlistedArch<T>(start: () => Promise<T>): Promise<T> {
  process.env.STRATA_NATIVE_DIR = unlisted;
  try {
    return await start();
  } finally {
    delete process.env.STRATA_NATIVE_DIR;
  }
}

const refused = (err: unknown) =>
  err instanceof ContainerStartError && err.exitCode === 125 && /seccomp: strata-shim has no syscall filter for this architecture/.test(err.message);

test('run refuses to start a container without a seccomp filter', async () => {
  await assert.rejects(withUnlistedArch(() => launch(store.spec({ cmd: ['true'] }))), refused);
});

test('exec refuses to start a process in a running container without a seccomp filter', async () => {
  const spec = store.spec({ cmd: ['sleep', '1000'] });
  const init = await launch(spec);
  try {
    const exec = { cmd: ['true'], env: [DEFAULT_PATH], cwd: '/', user: '', tty: false, openStdin: false };
    await assert.rejects(withUnlistedArch(() => execIn({ pid: init.pid, id: spec.id }, exec)), refused);
  } finally {
    init.signal('SIGKILL');
    await init.exited;
  }
});
