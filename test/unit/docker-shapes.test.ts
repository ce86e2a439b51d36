// Docker's JSON shapes (helper/cli/docker-shapes.ts, docker-rows.ts) against what Docker 20.10
// printed for the same busybox tar (test/fixtures/docker/recorded.json): every field Strata shows
// is one of Docker's, at Docker's place and nesting, of Docker's JSON type; the facts both engines
// share have Docker's values; Strata's own facts are under "Strata" only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerInspect, imageInspect } from '../../helper/cli/docker-shapes';
import { containerRow, diskUsageRows, historyRow, imageRows, statsRow } from '../../helper/cli/docker-rows';
import type { ContainerDetail, ImageDetail } from '../../helper/protocol/types';
import { repoRoot } from '../support/strata';
import type { Recording } from '../fixtures/docker/cases';

const recording: Recording = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/docker/recorded.json'), 'utf8'));
const stdout = (name: string) => recording.cases.find((c) => c.name === name)!.stdout;
const firstLine = (name: string) => JSON.parse(stdout(name).split('\n')[0]);
/** As a JSON reader sees a document: typed nils are null. */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v));

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Every key of mine is Docker's, in Docker's order, of Docker's type (null stands for an empty list or map). */
function assertDockerShape(mine: Record<string, unknown>, docker: Record<string, unknown>, path = ''): void {
  const keys = Object.keys(mine).filter((k) => !(path === '' && k === 'Strata'));
  const theirs = Object.keys(docker);
  for (const k of keys) assert.ok(theirs.includes(k), `${path}${k} is not in Docker's document (it has ${theirs.join(', ')})`);
  assert.deepEqual(keys, theirs.filter((k) => keys.includes(k)), `${path || 'top'}: keys in Docker's order`);
  for (const k of keys) {
    const [a, b] = [mine[k], docker[k]];
    const ok = kind(a) === kind(b) || (kind(a) === 'null' && ['array', 'object'].includes(kind(b))) || (kind(b) === 'null' && ['array', 'object'].includes(kind(a)));
    assert.ok(ok, `${path}${k}: ${kind(a)} where Docker has ${kind(b)}`);
    if (kind(a) === 'object' && kind(b) === 'object' && k !== 'Data' && k !== 'Labels') assertDockerShape(a as Record<string, unknown>, b as Record<string, unknown>, `${path}${k}.`);
  }
}

const DIFF_ID = 'sha256:41a396fb54c77b5beee7a66a3a18e843baa94838cd8686610ab19ef02d6d1e98';
const IMAGE_ID = `sha256:${'8'.repeat(64)}`;
const layerPath = `/var/lib/strata/graph/${DIFF_ID.slice(7)}/layer`;
const image: ImageDetail = {
  id: IMAGE_ID, repoTags: ['busybox:latest', 'bb:one'], size: 1986324,
  config: {
    created: '2026-12-02T15:22:52.734Z', architecture: 'amd64', os: 'linux', config: {},
    rootfs: { type: 'layers', diff_ids: [DIFF_ID] }, history: [{ created: '2026-12-02T15:22:52.734Z', comment: 'Imported from -' }],
  },
  layers: [{ id: DIFF_ID, parent: null, diffId: DIFF_ID, size: 1986324, created: '2026-12-02T15:22:52.734Z', createdBy: '', comment: 'Imported from -', path: layerPath, tar: 'tar-split' }],
};
const container: ContainerDetail = {
  id: 'b'.repeat(64), name: 'exited3', image: 'busybox', imageId: IMAGE_ID, command: ['sh', '-c', 'exit 3'],
  created: '2026-12-02T15:22:52.766Z', status: 'exited', exitCode: 3, startedAt: '2026-12-02T15:22:53.594Z', finishedAt: '2026-12-02T15:22:53.602Z',
  tty: false, hostname: 'bbbbbbbbbbbb', pid: null, paused: false,
  options: { cmd: ['sh', '-c', 'exit 3'], tty: false, openStdin: false, name: 'exited3', env: [], network: 'none', autoRemove: false },
  upperDir: `/var/lib/strata/containers/${'b'.repeat(64)}/upper`, layers: [DIFF_ID],
};

test("image inspect: Docker's fields, nesting and types; the facts both engines know, with Docker's values", () => {
  const [docker] = JSON.parse(stdout('inspect-image'));
  const mine = asJson(imageInspect(image));
  assertDockerShape(mine, docker);
  for (const k of ['RepoTags', 'RepoDigests', 'Comment', 'Author', 'Architecture', 'Os', 'Size', 'RootFS']) assert.deepEqual(mine[k], docker[k], k);
  for (const k of ['User', 'Env', 'Cmd', 'WorkingDir', 'Entrypoint', 'Labels']) assert.deepEqual(mine.Config[k], docker.Config[k], `Config.${k}`);
  assert.deepEqual(mine.GraphDriver.Data, { UpperDir: layerPath });
  assert.deepEqual(mine.Strata.Layers.map((l: { Id: string; Path: string }) => [l.Id, l.Path]), [[DIFF_ID, layerPath]], 'chain ids and folders under Strata');
  assert.ok(!('Parent' in mine) && !('ContainerConfig' in mine) && !('DockerVersion' in mine), 'nothing Strata does not have');
});

test("container inspect: Docker's fields, nesting and types; state, command and config as Docker shows them", () => {
  const [docker] = JSON.parse(stdout('inspect-container'));
  const mine = asJson(containerInspect(container, image));
  assertDockerShape(mine, docker);
  for (const k of ['Path', 'Args', 'Name', 'Platform', 'Mounts', 'Image']) assert.deepEqual(mine[k], k === 'Image' ? IMAGE_ID : docker[k], k);
  for (const k of ['Status', 'Running', 'Paused', 'Restarting', 'Dead', 'Pid', 'ExitCode']) assert.deepEqual(mine.State[k], docker.State[k], `State.${k}`);
  for (const k of ['Tty', 'OpenStdin', 'Env', 'Cmd', 'Image', 'Entrypoint', 'Labels']) assert.deepEqual(mine.Config[k], docker.Config[k], `Config.${k}`);
  assert.deepEqual([mine.HostConfig.NetworkMode, mine.HostConfig.AutoRemove, mine.HostConfig.Memory], [docker.HostConfig.NetworkMode, false, 0]);
  assert.deepEqual(mine.GraphDriver.Data, { LowerDir: layerPath, UpperDir: container.upperDir }, 'the image\'s folders below, its own on top');
  assert.deepEqual(mine.Strata, { UpperDir: container.upperDir, Layers: [DIFF_ID] });
  const created = asJson(containerInspect({ ...container, status: 'created', exitCode: null, startedAt: null, finishedAt: null }, image));
  assert.equal(created.State.StartedAt, '0001-01-01T00:00:00Z', "Go's zero time, as Docker shows a start that never was");
  const paused = asJson(containerInspect({ ...container, status: 'running', paused: true, pid: 42 }, image));
  assert.deepEqual([paused.State.Status, paused.State.Running, paused.State.Paused, paused.State.Pid], ['paused', true, true, 42]);
});

test("container config: the image's under the run options, Docker's rules for entrypoint and command", () => {
  const withConfig: ImageDetail = { ...image, config: { ...image.config, config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['/bin/sh'], Entrypoint: ['/init'], WorkingDir: '/srv', Labels: { l: 'v' } } } };
  const c = (o: Partial<ContainerDetail['options']>) => asJson(containerInspect({ ...container, options: { ...container.options, cmd: undefined, env: [], ...o } }, withConfig)).Config;
  assert.deepEqual(c({ env: ['A=2', 'B=3'] }).Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual([c({}).Cmd, c({}).Entrypoint, c({}).WorkingDir, c({}).Labels], [['/bin/sh'], ['/init'], '/srv', { l: 'v' }]);
  assert.deepEqual([c({ entrypoint: '' }).Entrypoint, c({ entrypoint: '' }).Cmd], [null, null], 'a cleared entrypoint drops the image command too');
  assert.deepEqual(c({ cmd: ['ls'] }).Cmd, ['ls']);
});

test("list rows: exactly Docker's json keys, and Docker's values for ps's COMMAND, STATE and the like", () => {
  const extras = { size: () => 0, network: () => 'none' };
  const ps = asJson(containerRow(container, true, extras));
  const dockerPs = firstLine('ps-json');
  assert.deepEqual(Object.keys(ps), Object.keys(dockerPs));
  for (const k of ['Command', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'Size', 'State']) assert.deepEqual(ps[k], dockerPs[k], k);
  assert.match(ps.Status, /^Exited \(3\) .* ago$/);
  assert.equal(asJson(containerRow({ ...container, command: ['sh', '-c', 'echo hello > /hello'] }, true, extras)).Command, '"sh -c \'echo hello >…"');
  assert.deepEqual(Object.keys(asJson(imageRows({ ...image, created: image.config.created, layers: 1 }, true)[0])), Object.keys(firstLine('images-json')));
  const history = asJson(historyRow({ id: DIFF_ID, created: image.config.created, createdBy: 'sh -c echo hello > /hello', comment: 'add hello', size: 6, emptyLayer: false }, IMAGE_ID, true, true));
  const dockerHistory = firstLine('history-json');
  assert.deepEqual(Object.keys(history), Object.keys(dockerHistory));
  assert.deepEqual([history.CreatedBy, history.Size, history.Comment, history.ID], [dockerHistory.CreatedBy, dockerHistory.Size, dockerHistory.Comment, IMAGE_ID.slice(7, 19)]);
  const stats = asJson(statsRow({ id: container.id, name: 'sleeper', memoryBytes: 323584, memoryLimit: null, pids: 1, pidsLimit: 4096, cpuSeconds: 0 }, 'sleeper', 0, 25_275_473_920, true));
  const dockerStats = firstLine('stats-json');
  assert.deepEqual(Object.keys(stats), Object.keys(dockerStats), 'every key, NET I/O and BLOCK I/O included');
  assert.deepEqual([stats.CPUPerc, stats.Container, stats.MemUsage, stats.PIDs, stats.NetIO, stats.BlockIO], [dockerStats.CPUPerc, dockerStats.Container, '316KiB / 23.54GiB', dockerStats.PIDs, dockerStats.NetIO, dockerStats.BlockIO]);
  // Totals that give the recorded rows (the recording's setup made 5 images, 2 in use, and 11 containers).
  const df = diskUsageRows({ images: [], containers: [], totals: { images: { count: 5, active: 2, size: 1986354, reclaimable: 1986324 }, containers: { count: 11, active: 2, size: 14, reclaimable: 14 } } });
  assert.deepEqual(df.map(asJson), stdout('df-json').trim().split('\n').slice(0, 2).map((l) => JSON.parse(l)), 'the Images and Containers rows, to the character');
});
