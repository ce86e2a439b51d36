// Pause and resume a container with the cgroup freezer, as `docker pause` does: a commit must see
// one consistent moment of the upper dir. v1: freezer.state FROZEN/THAWED (FREEZING until every
// task has stopped); v2: cgroup.freeze 1/0, done when cgroup.events says "frozen 1".
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { cgroupLayout, containerCgroupDirs } from './cgroup-layout';
import { checkContainerId } from './validate';

const POLL_MS = 10;
const MAX_POLLS = 1000; // a task in uninterruptible sleep can hold FREEZING for a while

function freezerDir(id: string): string {
  checkContainerId(id);
  const layout = cgroupLayout();
  const dirs = containerCgroupDirs(id, layout);
  const dir = layout.version === 2 ? dirs[0].dir : dirs.find((d) => d.controller === 'freezer')?.dir;
  if (!dir || !existsSync(dir)) throw new StrataError(ErrorCode.NotRunning, `container ${id.slice(0, 12)} is not running`);
  return dir;
}

async function waitFor(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < MAX_POLLS; i++) {
    if (await check()) return true;
    await sleep(POLL_MS);
  }
  return false;
}

export async function freeze(id: string): Promise<void> {
  const dir = freezerDir(id);
  if (cgroupLayout().version === 2) {
    await writeFile(join(dir, 'cgroup.freeze'), '1');
    const ok = await waitFor(async () => /^frozen 1$/m.test(await readFile(join(dir, 'cgroup.events'), 'utf8')));
    if (ok) return;
    await writeFile(join(dir, 'cgroup.freeze'), '0');
  } else {
    const state = join(dir, 'freezer.state');
    await writeFile(state, 'FROZEN');
    const ok = await waitFor(async () => (await readFile(state, 'utf8')).trim() === 'FROZEN');
    if (ok) return;
    await writeFile(state, 'THAWED');
  }
  throw new StrataError(ErrorCode.RuntimeFailed, `container ${id.slice(0, 12)} could not be frozen (a task does not stop)`);
}

export async function thaw(id: string): Promise<void> {
  const dir = freezerDir(id);
  if (cgroupLayout().version === 2) {
    await writeFile(join(dir, 'cgroup.freeze'), '0');
    await waitFor(async () => /^frozen 0$/m.test(await readFile(join(dir, 'cgroup.events'), 'utf8')));
  } else {
    const state = join(dir, 'freezer.state');
    await writeFile(state, 'THAWED');
    await waitFor(async () => (await readFile(state, 'utf8')).trim() === 'THAWED');
  }
}
