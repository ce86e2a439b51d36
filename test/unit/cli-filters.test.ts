// --filter for ps and images (cli/filters.ts): one key's values are alternatives, keys all must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTAINER_FILTERS, IMAGE_FILTERS, containerMatches, imageMatches, parseFilters } from '../../helper/cli/filters';
import type { ContainerSummary, ImageSummary } from '../../helper/protocol/types';

const container = (over: Partial<ContainerSummary>): ContainerSummary => ({
  id: 'a'.repeat(64), name: 'web', image: 'bb', imageId: `sha256:${'b'.repeat(64)}`, command: ['sh'], created: '2026-11-28T00:00:00Z',
  status: 'running', exitCode: null, startedAt: null, finishedAt: null, tty: false, hostname: 'h', pid: 1, paused: false, ...over,
});
const image = (repoTags: string[]): ImageSummary => ({ id: `sha256:${'c'.repeat(64)}`, repoTags, created: '2026-11-28T00:00:00Z', size: 1, layers: 1 });
const ps = (...f: string[]) => parseFilters(f, CONTAINER_FILTERS, 'ps');

test('container filters: status (paused is its own), name, id prefix, ancestor by name or id, exit code', () => {
  const running = container({});
  const paused = container({ paused: true });
  const exited = container({ status: 'exited', exitCode: 3, name: 'batch-job' });
  assert.ok(containerMatches(running, ps('status=running')));
  assert.ok(!containerMatches(paused, ps('status=running')) && containerMatches(paused, ps('status=paused')));
  assert.ok(containerMatches(exited, ps('status=running', 'status=exited')), 'values of one key: any');
  assert.ok(!containerMatches(exited, ps('status=exited', 'name=web')), 'different keys: all');
  assert.ok(containerMatches(exited, ps('name=job', 'exited=3')) && !containerMatches(exited, ps('exited=0')));
  assert.ok(containerMatches(running, ps('id=aaaa')) && !containerMatches(running, ps('id=ab')));
  assert.ok(containerMatches(running, ps('ancestor=bb')) && containerMatches(running, ps('ancestor=bbbbbb')) && containerMatches(running, ps('ancestor=sha256:bbbb')));
  assert.ok(!containerMatches(running, ps('ancestor=busybox')));
  assert.ok(containerMatches(running, ps()), 'no filter: everything');
});

test('image filters: dangling, reference; bad filters are usage errors that name the keys', () => {
  const f = (...v: string[]) => parseFilters(v, IMAGE_FILTERS, 'images');
  assert.ok(imageMatches(image([]), f('dangling=true')) && !imageMatches(image(['bb:latest']), f('dangling=true')));
  assert.ok(imageMatches(image(['bb:latest']), f('dangling=false')));
  assert.ok(imageMatches(image(['bb:latest', 'bb:2']), f('reference=bb')) && imageMatches(image(['bb:2']), f('reference=bb:2')));
  assert.ok(!imageMatches(image(['bbb:latest']), f('reference=bb')));
  assert.throws(() => f('size=1'), /invalid filter 'size': images filters by dangling, reference/);
  assert.throws(() => f('dangling'), /bad format of filter \(expected name=value\): dangling/);
});
