// Issue 9 against Docker 20.10 itself: one Dockerfile on the busybox base (the same tar imported
// into both engines: the same diff_id), built by `docker build` with the classic builder
// (DOCKER_BUILDKIT=0) and by `strata build`, with the same build arg. Covered: ARG, RUN (a deletion,
// an opaque directory made again, a symlink, a hard link, a chmod, a RUN that changes nothing),
// COPY (files, a directory with a symlink in it, into new parent directories, --chown), ADD (a
// local tar unpacked, a plain file), COPY --from an earlier stage, ENV, WORKDIR (existing and
// new), USER, LABEL, EXPOSE, ENTRYPOINT, CMD. Compared: every layer's file tree (each entry's
// type, permission bits, owner, size, content hash, link target; whiteouts as deletions), `strata
// diff --layer` against the changes Docker's layer tars make, the config fields, and the history
// (created_by, empty_layer).
//
// Differences that are deliberate, and how the comparison treats them:
//  - times: Strata gives every entry of a built layer one fixed time (0, or SOURCE_DATE_EPOCH) so
//    that a build is reproducible; Docker keeps the context's times and the RUN's. Not compared.
//  - the hash in `COPY file:<hash>` / `dir:` / `multi:`: Docker's is a tarsum of its context tar's
//    headers and content, Strata's a sha256 of its own listing of the sources; compared as
//    `file:<sha256>` (the kind, and everything around it, must match).
//  - a whiteout's own header (mode, owner, link name): only what it deletes counts.
// A difference that is not deliberate, reported and left out here (the runtime, not the build):
// Docker since 20.10.18 puts the user's primary group in the process's supplementary groups
// (moby's fix for CVE-2022-36109, GHSA-rc4r-wh2q-q6c4; `id` prints groups=1000), Strata's runtime
// sets only the /etc/group memberships, as runc alone does (helper/runtime/native/user.c). So the
// images are compared running `id -u`, `id -g`, not `id`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TestStore, busyboxTarball } from '../support/strata';
import { installed, runCli, startDocker, type Peer } from '../support/peers';
import { layerChanges, layerLines, readSaved, type SavedImage } from './support-layers';

interface Image { id: string; layers: { id: string; diffId: string }[] }

const DOCKERFILE = `FROM bb:base AS builder
ARG VERSION=1
RUN mkdir -p /out && echo "built $VERSION" > /out/artifact && chmod 0640 /out/artifact

FROM bb:base
ARG VERSION=1
ENV APP_HOME=/app GREETING="hello world"
LABEL org.example.name="interop" org.example.version=$VERSION
WORKDIR /tmp
WORKDIR $APP_HOME
COPY hello.txt script.sh ./
COPY dir/ /app/dir/
COPY hello.txt /srv/deep/er/
ADD archive.tar /opt/unpacked/
ADD plain.txt /opt/plain.txt
RUN rm /bin/vi /etc/motd && rm -r /usr/sbin && mkdir /usr/sbin && echo again > /usr/sbin/again && ln -s /app/hello.txt /usr/sbin/hello-link && ln /app/hello.txt /app/hard && chmod 0750 /app/script.sh
RUN true
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && mkdir -p /home/app && chown 1000:1000 /home/app
COPY --chown=1000:1000 hello.txt /home/app/owned.txt
COPY --from=builder /out/artifact /app/artifact
USER app
RUN echo "$GREETING $VERSION" > /home/app/greeting && id -u > /home/app/uid
EXPOSE 8080 53/udp
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo $GREETING"]
`;

let tmp: string;
let store: TestStore;
let docker: Peer | undefined;
let theirs: SavedImage;
let ours: SavedImage;
let dockerOut = '';
let strataOut = '';
const file = (name: string) => join(tmp, name);

function writeContext(dir: string): void {
  mkdirSync(join(dir, 'dir/sub'), { recursive: true });
  const write = (path: string, text: string, mode: number) => { writeFileSync(path, text); chmodSync(path, mode); };
  const put = (rel: string, text: string, mode: number) => write(join(dir, rel), text, mode);
  put('Dockerfile', DOCKERFILE, 0o644);
  put('hello.txt', 'hello\n', 0o644);
  put('script.sh', '#!/bin/sh\necho script\n', 0o755);
  put('dir/a.txt', 'a\n', 0o644);
  put('dir/sub/b.txt', 'b\n', 0o600);
  chmodSync(join(dir, 'dir/sub'), 0o750);
  symlinkSync('a.txt', join(dir, 'dir/link'));
  put('plain.txt', 'plain\n', 0o644);
  const tree = file('tree');
  mkdirSync(join(tree, 'td'), { recursive: true });
  write(join(tree, 't1'), 't1\n', 0o644);
  write(join(tree, 'td/t2'), 't2\n', 0o640);
  execFileSync('tar', ['--owner=0', '--group=0', '-cf', join(dir, 'archive.tar'), '-C', tree, '.']);
}

before(async () => {
  if (!installed('docker')) throw new Error('Docker is not installed: npm run test:interop installs Debian\'s docker.io (as root)');
  tmp = mkdtempSync(join(tmpdir(), 'strata-interop-build-'));
  store = TestStore.create('interop-build');
  const { tar } = await busyboxTarball(tmp);
  const ctx = file('context');
  mkdirSync(ctx);
  writeContext(ctx);
  docker = startDocker(file('docker'));
  await store.ok(['import', tar, 'bb:base']);
  runCli(docker.cli('import', tar, 'bb:base'));
  const [cmd, args, env] = docker.cli('build', '--network', 'none', '--build-arg', 'VERSION=2', '-t', 'built:docker', ctx);
  dockerOut = runCli([cmd, args, { ...env, DOCKER_BUILDKIT: '0' }]);
  strataOut = await store.ok(['build', '--build-arg', 'VERSION=2', '-t', 'built:strata', ctx]);
  runCli(docker.cli('save', '-o', file('docker-save.tar'), 'built:docker'));
  await store.ok(['save', '-o', file('strata-save.tar'), 'built:strata']);
  [theirs, ours] = [await readSaved(file('docker-save.tar')), await readSaved(file('strata-save.tar'))];
});
after(async () => {
  docker?.stop();
  await store?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('both built the Dockerfile step by step (Docker\'s classic builder), from the same base layer, and the images run alike', async () => {
  const steps = DOCKERFILE.split('\n').filter((l) => /^[A-Z]/.test(l)).length;
  assert.match(dockerOut, new RegExp(`Step ${steps}/${steps} : CMD`), 'the classic builder\'s output');
  assert.match(strataOut, new RegExp(`Step ${steps}/${steps} : CMD`));
  assert.match(strataOut, /Successfully tagged built:strata/);
  assert.equal(ours.config.rootfs.diff_ids[0], theirs.config.rootfs.diff_ids[0], 'the busybox base: the same tar, the same diff_id');
  assert.equal(runCli(docker!.cli('run', '--rm', '--network', 'none', 'built:docker')), 'hello world\n');
  assert.equal(await store.ok(['run', '--rm', 'built:strata']), 'hello world\n');
  const look = 'cat /home/app/greeting /home/app/uid /usr/sbin/again /app/hard; readlink /usr/sbin/hello-link; id -u; id -g; id -un';
  assert.equal(await store.ok(['run', '--rm', 'built:strata', look]), runCli(docker!.cli('run', '--rm', '--network', 'none', 'built:docker', look)));
});

test('the same config fields: Env, Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts', () => {
  for (const field of ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'ExposedPorts']) {
    assert.deepEqual(ours.config.config[field], theirs.config.config[field], field);
  }
  assert.equal(ours.config.config.User, 'app');
  assert.deepEqual(ours.config.config.Labels, { 'org.example.name': 'interop', 'org.example.version': '2' });
});

test('the same history: created_by and empty_layer, line by line', () => {
  // The one normalisation: the hash in COPY/ADD's source (see the top of this file).
  const lines = (img: SavedImage) => img.config.history.map((h) => `${h.empty_layer ? 'empty' : 'layer'} ${(h.created_by ?? '').replace(/(file|dir|multi):[0-9a-f]{64}/g, '$1:<sha256>')}`);
  assert.deepEqual(lines(ours), lines(theirs));
  // What the comparison rests on: Docker's own words for the steps that have them.
  const docker = lines(theirs).join('\n');
  for (const form of [
    'empty /bin/sh -c #(nop)  ARG VERSION=1', 'layer /bin/sh -c #(nop) WORKDIR /app', 'empty /bin/sh -c #(nop) WORKDIR /tmp',
    'layer /bin/sh -c #(nop) ADD file:<sha256> in /opt/unpacked/ ', 'layer /bin/sh -c #(nop) COPY --chown=1000:1000file:<sha256> in /home/app/owned.txt ',
    'empty |1 VERSION=2 /bin/sh -c true', 'empty /bin/sh -c #(nop)  EXPOSE 53/udp 8080', 'layer /bin/sh -c #(nop) COPY multi:<sha256> in ./ ',
  ]) assert.ok(docker.includes(form), `Docker writes ${form}:\n${docker}`);
});

test('every layer holds the same file tree: types, modes, owners, sizes, content hashes, link targets, deletions', () => {
  assert.equal(ours.layers.length, theirs.layers.length, 'as many layers');
  for (let i = 0; i < theirs.layers.length; i++) {
    const step = theirs.config.history.filter((h) => !h.empty_layer)[i]?.created_by ?? '';
    assert.deepEqual(layerLines(ours.layers[i]), layerLines(theirs.layers[i]), `layer ${i + 1}: ${step}`);
  }
  // What the comparison rests on: the layers hold what the Dockerfile asks for.
  const all = theirs.layers.flatMap(layerLines).join('\n');
  for (const fact of ['deleted /bin/vi', 'deleted /etc/motd', 'opaque /usr/sbin', 'symlink /usr/sbin/hello-link 777 0:0 -> /app/hello.txt', 'symlink /app/dir/link 777 0:0 -> a.txt',
    'hard links: /app/hard /app/hello.txt', 'file /home/app/owned.txt 644 1000:1000', 'file /app/artifact 640 0:0', 'directory /app/dir/sub 750 0:0', 'file /opt/unpacked/td/t2 640 0:0']) {
    assert.ok(all.includes(fact), `Docker's layers hold ${fact}`);
  }
});

test('strata diff --layer of each layer: the changes Docker\'s layer tars make', async () => {
  const client = await store.client();
  let image: Image;
  try { image = await client.request('image.inspect', { ref: 'built:strata' }); } finally { client.dispose(); }
  assert.deepEqual(image.layers.map((l) => l.diffId), ours.config.rootfs.diff_ids);
  const expected = layerChanges(theirs.layers);
  for (let i = 1; i < image.layers.length; i++) {
    const changes = JSON.parse(await store.ok(['diff', '--layer', image.layers[i].id, '--format', 'json'])) as { kind: string; path: string }[];
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`).sort(), expected[i], `layer ${i + 1}`);
  }
  assert.ok(expected.flat().includes('D /usr/sbin/chroot'), 'the opaque /usr/sbin hides what was below it');
});
