// --filter for ps and images (cli/filters.ts): one key's values are alternatives, keys all must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTAINER_FILTERS, IMAGE_FILTERS, containerMatches, imageNamesMatching, parseFilters, pathMatch } from '../../helper/cli/filters';
import type { ContainerSummary, ImageSummary } from '../../helper/protocol/types';

const container = (over: Partial<ContainerSummary>): ContainerSummary => ({
  id: 'a'.repeat(64), name: 'web', image: 'bb', imageId: `sha256:${'b'.repeat(64)}`, command: ['sh'], created: '2026-11-28T00:00:00Z',
  status: 'running', exitCode: null, startedAt: null, finishedAt: null, tty: false, hostname: 'h', pid: 1, paused: false, ...over,
});
const image = (repoTags: string[]): ImageSummary => ({ id: `sha256:${'c'.repeat(64)}`, repoTags, created: '2026-11-28T00:00:00Z', size: 1, layers: 1 });
const ps = (...f: string[]) => parseFilters(f, CONTAINER_FILTERS);

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

test('image filters: dangling; reference globs over NAME:TAG and NAME, listing only the names that match; bad filters in Docker\'s words', () => {
  const f = (...v: string[]) => parseFilters(v, IMAGE_FILTERS);
  assert.deepEqual(imageNamesMatching(image([]), f('dangling=true')), []);
  assert.equal(imageNamesMatching(image(['bb:latest']), f('dangling=true')), undefined);
  assert.deepEqual(imageNamesMatching(image(['bb:latest']), f('dangling=false')), ['bb:latest']);
  assert.deepEqual(imageNamesMatching(image(['bb:latest', 'bb:2']), f('reference=bb')), ['bb:latest', 'bb:2']);
  assert.deepEqual(imageNamesMatching(image(['bb:2', 'busybox:latest']), f('reference=bb:2')), ['bb:2'], 'only the matching name');
  assert.deepEqual(imageNamesMatching(image(['bb:one', 'busybox:latest', 'x/bb:1']), f('reference=b*')), ['bb:one', 'busybox:latest'], '* stops at /');
  assert.deepEqual(imageNamesMatching(image(['two:v1', 'hello:v2']), f('reference=*:v1')), ['two:v1']);
  assert.equal(imageNamesMatching(image(['bbb:latest']), f('reference=bb')), undefined);
  assert.throws(() => f('size=1'), /^Error: Error response from daemon: Invalid filter 'size'$/);
  assert.throws(() => f('dangling'), /invalid argument "dangling" for "-f, --filter" flag: bad format of filter \(expected name=value\)/);
});

test('path.Match: *, ?, classes and escapes, never across /', () => {
  assert.ok(pathMatch('b?sy*', 'busybox:latest'));
  assert.ok(!pathMatch('*', 'team/x'));
  assert.ok(pathMatch('*/*', 'team/x'));
  assert.ok(pathMatch('[a-c]b', 'bb') && !pathMatch('[^a-c]b', 'bb'));
  assert.ok(pathMatch('a\\*', 'a*') && !pathMatch('a\\*', 'ab'));
  assert.ok(pathMatch('x.y', 'x.y') && !pathMatch('x.y', 'xzy'), 'a dot is a dot');
});
