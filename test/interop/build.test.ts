// Issue 9 against Docker 20.10 itself: two Dockerfiles on the busybox base (the same tar imported
// into both engines: the same diff_id), each built by `docker build` with the classic builder
// (DOCKER_BUILDKIT=0) and by `strata build`, with the same build args (support-build-cases.ts).
// "app": ARG, RUN (a deletion, an opaque directory made again, a symlink, a hard link, a chmod, a
// RUN that changes nothing), COPY (files, a directory with a symlink in it, into new parent
// directories, --chown), ADD (a local tar unpacked, a plain file), COPY --from an earlier stage,
// ENV, WORKDIR (existing and new), USER, LABEL, EXPOSE, ENTRYPOINT, CMD. "edges": SHELL, exec-form
// RUN, COPY with a wildcard and $VAR in the destination, .dockerignore with an exception, ADD of a
// .tgz, a file replaced, a directory deleted, a FIFO, setuid, chown -R, a set mtime, a dangling
// symlink, VOLUME, STOPSIGNAL, HEALTHCHECK, ONBUILD. Compared: every layer's file tree (each
// entry's type, permission bits, owner, size, content hash, link target; whiteouts as deletions),
// `strata diff --layer` against the changes Docker's layer tars make, the config fields, and the
// history (created_by, empty_layer), line by line.
//
// Differences that are deliberate, and how the comparison treats them:
//  - times: Strata gives every entry of a built layer one fixed time (0, or SOURCE_DATE_EPOCH) so
//    that a build is reproducible; Docker keeps the context's times and the RUN's. Not compared.
//  - the hash in `COPY file:<hash>` / `dir:` / `multi:`: Docker's is a tarsum of its context tar's
//    headers and content, Strata's a sha256 of its own listing of the sources; compared as
//    `file:<sha256>` (the kind, and everything around it, must match).
//  - a whiteout's own header (mode, owner, link name): only what it deletes counts.
//  - config fields Docker writes as null (Entrypoint, Labels, ... when unset), Strata leaves out.
//  - HEALTHCHECK's history: Strata writes Docker 25's form, with StartInterval (`"0s"` when unset),
//    which Docker 20.10's config does not have; compared without it.
// A difference that is not deliberate, reported and left out here (the runtime, not the build):
// Docker since 20.10.18 puts the user's primary group in the process's supplementary groups
// (moby's fix for CVE-2022-36109, GHSA-rc4r-wh2q-q6c4; `id` prints groups=1000), Strata's runtime
// sets only the /etc/group memberships, as runc alone does (helper/runtime/native/user.c). So the
// images are compared running `id -u`, `id -g`, not `id`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestStore, busyboxTarball } from '../support/strata';
import { installed, runCli, startDocker, type Peer } from '../support/peers';
import { layerChanges, layerLines, readSaved, type SavedImage } from './support-layers';
import { APP, EDGES, type BuildCase } from './support-build-cases';

interface Image { id: string; layers: { id: string; diffId: string }[] }
interface Built { theirs: SavedImage; ours: SavedImage; dockerOut: string; strataOut: string }

const CASES = [APP, EDGES];
const FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Labels', 'ExposedPorts'];

let tmp: string;
let store: TestStore;
let docker: Peer | undefined;
const built = new Map<string, Built>();
const file = (name: string) => join(tmp, name);

async function build(c: BuildCase): Promise<Built> {
  const ctx = file(`${c.name}-context`);
  mkdirSync(ctx);
  c.writeContext(ctx, file(`${c.name}-scratch`));
  const args = c.buildArgs.flatMap((a) => ['--build-arg', a]);
  const [cmd, argv, env] = docker!.cli('build', '--network', 'none', ...args, '-t', `${c.name}:docker`, ctx);
  const dockerOut = runCli([cmd, argv, { ...env, DOCKER_BUILDKIT: '0' }]);
  const strataOut = await store.ok(['build', ...args, '-t', `${c.name}:strata`, ctx]);
  runCli(docker!.cli('save', '-o', file(`${c.name}-docker.tar`), `${c.name}:docker`));
  await store.ok(['save', '-o', file(`${c.name}-strata.tar`), `${c.name}:strata`]);
  return { theirs: await readSaved(file(`${c.name}-docker.tar`)), ours: await readSaved(file(`${c.name}-strata.tar`)), dockerOut, strataOut };
}

before(async () => {
  if (!installed('docker')) throw new Error('Docker is not installed: npm run test:interop installs Debian\'s docker.io (as root)');
  tmp = mkdtempSync(join(tmpdir(), 'strata-interop-build-'));
  store = TestStore.create('interop-build');
  const { tar } = await busyboxTarball(tmp);
  docker = startDocker(file('docker'));
  await store.ok(['import', tar, 'bb:base']);
  runCli(docker.cli('import', tar, 'bb:base'));
  for (const c of CASES) built.set(c.name, await build(c));
});
after(async () => {
  docker?.stop();
  await store?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** History as comparable lines: the COPY/ADD source hash as <sha256>; HEALTHCHECK without StartInterval (top of file). */
function historyLines(img: SavedImage): string[] {
  return img.config.history.map((h) => `${h.empty_layer ? 'empty' : 'layer'} ${(h.created_by ?? '')
    .replace(/(file|dir|multi):[0-9a-f]{64}/g, '$1:<sha256>')
    .replace(/(HEALTHCHECK &\{\[.*\] "[^"]*" "[^"]*" "[^"]*") "0s" ('[^']*'\})$/, '$1 $2')}`);
}

for (const c of CASES) {
  const get = () => {
    const b = built.get(c.name);
    assert.ok(b, `the ${c.name} builds ran (see before())`);
    return b;
  };

  test(`${c.name}: both built the Dockerfile step by step (Docker's classic builder), from the same base layer, and the images run alike`, async () => {
    const { theirs, ours, dockerOut, strataOut } = get();
    const steps = c.dockerfile.split('\n').filter((l) => /^[A-Z]/.test(l)).length;
    assert.match(dockerOut, new RegExp(`Step ${steps}/${steps} : CMD`), 'the classic builder\'s output');
    assert.match(strataOut, new RegExp(`Step ${steps}/${steps} : CMD`));
    assert.match(strataOut, new RegExp(`Successfully tagged ${c.name}:strata`));
    assert.equal(ours.config.rootfs.diff_ids[0], theirs.config.rootfs.diff_ids[0], 'the busybox base: the same tar, the same diff_id');
    const seen = runCli(docker!.cli('run', '--rm', '--network', 'none', `${c.name}:docker`, ...c.look));
    assert.ok(seen.split('\n').length > 5, seen);
    assert.equal(await store.ok(['run', '--rm', `${c.name}:strata`, ...c.look]), seen);
  });

  test(`${c.name}: the same config fields: ${[...FIELDS, ...c.moreFields].join(', ')}`, () => {
    const { theirs, ours } = get();
    for (const field of [...FIELDS, ...c.moreFields]) {
      assert.deepEqual(ours.config.config[field] ?? null, theirs.config.config[field] ?? null, field);
    }
    assert.ok([...FIELDS, ...c.moreFields].filter((f) => theirs.config.config[f] != null).length >= 5, 'most fields are set');
  });

  test(`${c.name}: the same history: created_by and empty_layer, line by line`, () => {
    const { theirs, ours } = get();
    assert.deepEqual(historyLines(ours), historyLines(theirs));
    // What the comparison rests on: Docker's own words for the steps that have them.
    const docker = historyLines(theirs).join('\n');
    for (const form of c.history) assert.ok(docker.includes(form), `Docker writes ${form}:\n${docker}`);
  });

  test(`${c.name}: every layer holds the same file tree: types, modes, owners, sizes, content hashes, link targets, deletions`, () => {
    const { theirs, ours } = get();
    assert.equal(ours.layers.length, theirs.layers.length, 'as many layers');
    const steps = theirs.config.history.filter((h) => !h.empty_layer);
    for (let i = 0; i < theirs.layers.length; i++) {
      assert.deepEqual(layerLines(ours.layers[i]), layerLines(theirs.layers[i]), `layer ${i + 1}: ${steps[i]?.created_by ?? ''}`);
    }
    // What the comparison rests on: the layers hold what the Dockerfile asks for.
    const all = theirs.layers.slice(1).flatMap(layerLines);
    for (const fact of c.facts) assert.ok(all.some((l) => l.startsWith(fact) || l.includes(` ${fact}`)), `Docker's layers hold ${fact}`);
    for (const path of c.absent) assert.ok(!all.some((l) => l.includes(` ${path} `)), `no layer holds ${path}`);
  });

  test(`${c.name}: strata diff --layer of each layer: the changes Docker's layer tars make`, async () => {
    const { theirs, ours } = get();
    const client = await store.client();
    let image: Image;
    try { image = await client.request('image.inspect', { ref: `${c.name}:strata` }); } finally { client.dispose(); }
    assert.deepEqual(image.layers.map((l) => l.diffId), ours.config.rootfs.diff_ids);
    const expected = layerChanges(theirs.layers);
    for (let i = 1; i < image.layers.length; i++) {
      const changes = JSON.parse(await store.ok(['diff', '--layer', image.layers[i].id, '--format', 'json'])) as { kind: string; path: string }[];
      assert.deepEqual(changes.map((x) => `${x.kind} ${x.path}`).sort(), expected[i], `layer ${i + 1}`);
    }
    assert.ok(expected.flat().some((x) => x.startsWith('D ')) && expected.flat().some((x) => x.startsWith('C ')), 'deletions and changes among them');
  });
}
