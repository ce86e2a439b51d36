// Issue 11 against Docker 20.10 and Podman 4.3 themselves: an image committed in Strata (a deletion,
// an opaque directory, a new file), saved by `strata save`, loads into Docker and into Podman and
// runs there showing the committed change, with the same diff_ids; pushed by Strata to the loopback
// registry, it is pulled by Docker and runs. The other way: an image committed in Docker (and in
// Podman) and saved by `docker save` (`podman save`, both its docker-archive and oci-archive
// formats) loads into Strata with the diff_ids the peer reports, and `strata run` shows the change.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';
import { runCli, startDocker, startPodman, installed, type Peer } from '../support/peers';
import { Registry } from '../support/registry';

interface Image { id: string; layers: { id: string; diffId: string }[] }

let tmp: string;
let store: TestStore;
let docker: Peer | undefined;
let podman: Peer | undefined;
let registry: Registry | undefined;
let busyboxTar = '';
const file = (name: string) => join(tmp, name);

// What each side's committed change shows: run inside the image by every engine, the same script.
const CHANGE = 'rm /etc/passwd && rm -r /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only && mkdir -p /opt/x && echo hi > /opt/x/new';
const SHOW = 'cat /opt/x/new; ls /usr/sbin; test -e /etc/passwd && echo passwd-still-there || echo passwd-gone';
const SHOWN = 'hi\nonly\npasswd-gone\n';

async function strataImage(ref: string): Promise<Image> {
  const client = await store.client();
  try { return await client.request('image.inspect', { ref }); } finally { client.dispose(); }
}

/** The diff_ids a peer holds for an image (`inspect`'s RootFS.Layers). */
function peerDiffIds(peer: Peer, ref: string): string[] {
  return JSON.parse(runCli(peer.cli('image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref))) as string[];
}

function peerRun(peer: Peer, ref: string): string {
  return runCli(peer.cli('run', '--rm', '--network', 'none', ref, 'sh', '-c', SHOW));
}

function need(name: 'docker' | 'podman'): void {
  if (!installed(name)) throw new Error(`${name} is not installed: npm run test:interop installs Debian's ${name === 'docker' ? 'docker.io' : 'podman'} (as root)`);
}

before(async () => {
  need('docker');
  need('podman');
  tmp = mkdtempSync(join(tmpdir(), 'strata-interop-archives-'));
  store = TestStore.create('interop-archives');
  busyboxTar = (await busyboxTarball(tmp)).tar;
  await store.ok(['import', '-c', 'CMD ["/bin/sh"]', busyboxTar, 'bb:imported']);
  await store.ok(['run', '--name', 'changer', 'bb:imported', 'sh', '-c', CHANGE]);
  await store.ok(['commit', 'changer', 'strata/committed:1']);
  assert.equal(await store.ok(['run', '--rm', 'strata/committed:1', 'sh', '-c', SHOW]), SHOWN, 'the change, as Strata shows it');
  docker = startDocker(file('docker'));
  podman = startPodman(file('podman'));
});
after(async () => {
  docker?.stop();
  podman?.stop();
  await registry?.stop();
  await store?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('strata save, docker load: the image runs in Docker with the committed change and the same diff_ids', async () => {
  await store.ok(['save', '-o', file('strata-docker.tar'), 'strata/committed:1']);
  assert.match(runCli(docker!.cli('load', '-i', file('strata-docker.tar'))), /Loaded image: strata\/committed:1/);
  const ours = await strataImage('strata/committed:1');
  assert.deepEqual(peerDiffIds(docker!, 'strata/committed:1'), ours.layers.map((l) => l.diffId));
  assert.equal(runCli(docker!.cli('image', 'inspect', '--format', '{{.Id}}', 'strata/committed:1')).trim(), ours.id, 'the same image id (config bytes kept)');
  assert.equal(peerRun(docker!, 'strata/committed:1'), SHOWN);
});

test('strata save (docker and OCI archives), podman load: the image runs in Podman with the committed change', async () => {
  await store.ok(['save', '--format', 'oci', '-o', file('strata-oci.tar'), 'strata/committed:1']);
  const ours = await strataImage('strata/committed:1');
  for (const [archive, ref] of [[file('strata-docker.tar'), 'strata/committed:1'], [file('strata-oci.tar'), 'strata/committed:1']]) {
    runCli(podman!.cli('rmi', '-a', '-f'));
    const out = runCli(podman!.cli('load', '-i', archive));
    assert.match(out, /Loaded image/, out);
    // Podman names an OCI archive's image by its ref.name annotation, prefixed with localhost/.
    const name = `localhost/${ref}`;
    assert.deepEqual(peerDiffIds(podman!, name), ours.layers.map((l) => l.diffId), archive);
    assert.equal(peerRun(podman!, name), SHOWN, archive);
  }
});

test('strata push to the loopback registry, docker pull: it runs in Docker (127.0.0.0/8 is insecure by default)', async () => {
  registry = await Registry.start(file('registry'));
  const info = JSON.parse(runCli(docker!.cli('info', '--format', '{{json .RegistryConfig.InsecureRegistryCIDRs}}'))) as string[];
  assert.ok(info.includes('127.0.0.0/8'), `Docker's default insecure registries: ${info.join(', ')}`);
  const ref = `${registry.host}/strata/committed:1`;
  await store.ok(['tag', 'strata/committed:1', ref]);
  await store.ok(['push', ref]);
  const pulled = runCli(docker!.cli('pull', ref));
  assert.match(pulled, /Downloaded newer image/, pulled);
  const ours = await strataImage(ref);
  assert.deepEqual(peerDiffIds(docker!, ref), ours.layers.map((l) => l.diffId));
  assert.equal(peerRun(docker!, ref), SHOWN);
});

/** The peer imports busybox, runs the change and commits it; the committed image's name. */
function commitIn(peer: Peer): string {
  const name = `${peer.name}/committed:1`;
  runCli(peer.cli('import', busyboxTar, `${peer.name}/imported:1`));
  runCli(peer.cli('run', '--name', 'changer', '--network', 'none', `${peer.name}/imported:1`, 'sh', '-c', CHANGE));
  runCli(peer.cli('commit', 'changer', name));
  runCli(peer.cli('rm', 'changer'));
  return name;
}

async function loadsIntoStrata(archive: string, ref: string, diffIds: string[]): Promise<void> {
  const out = await store.ok(['load', '-i', archive]);
  assert.match(out, /Loaded image/, out);
  assert.deepEqual((await strataImage(ref)).layers.map((l) => l.diffId), diffIds, `${archive}: the diff_ids the peer reports`);
  assert.equal(await store.ok(['run', '--rm', ref, 'sh', '-c', SHOW]), SHOWN, `${archive}: strata run shows the change`);
  await store.ok(['rmi', ref]);
}

test('docker save of an image committed in Docker loads into Strata with the same diff_ids; strata run shows the change', async () => {
  const name = commitIn(docker!);
  assert.equal(peerRun(docker!, name), SHOWN, 'Docker shows its own change');
  const ids = peerDiffIds(docker!, name);
  assert.equal(ids.length, 2);
  runCli(docker!.cli('save', '-o', file('docker-save.tar'), name));
  await loadsIntoStrata(file('docker-save.tar'), name, ids);
});

test('podman save (docker-archive and oci-archive) of an image committed in Podman loads into Strata with the same diff_ids; strata run shows the change', async () => {
  const name = commitIn(podman!);
  const full = `localhost/${name}`;
  assert.equal(peerRun(podman!, full), SHOWN, 'Podman shows its own change');
  const ids = peerDiffIds(podman!, full);
  assert.equal(ids.length, 2);
  for (const format of ['docker-archive', 'oci-archive']) {
    const archive = file(`podman-${format}.tar`);
    runCli(podman!.cli('save', '--format', format, '-o', archive, full));
    await loadsIntoStrata(archive, full, ids);
  }
});
