// strata push and pull against a real registry (Debian's docker-registry on 127.0.0.1, through a
// counting proxy): an image of two layers (imported, then committed with deletions) goes up and
// comes back into an empty store with the same image id and layer ids, and runs; a second push
// sends no layer and gives the same manifest digest; the OCI format, a cross-repo mount, chunked
// uploads, an index (linux/amd64 picked); skopeo reads what Strata pushed, and an archive skopeo
// writes from the registry loads into Strata; Basic (htpasswd) and Bearer (token server) logins.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import type { TestStore } from '../support/strata';
import { Proxy, Registry } from '../support/registry';
import { type RegistryFixture, type RegistryStores, startRegistryFixture } from '../support/registry-stores';

let tmp: string;
let registry: Registry;
let proxy: Proxy;
let a: TestStore;
let reg: RegistryStores;
let fixture: RegistryFixture | undefined;





const uploads = () => proxy.count('POST', /\/blobs\/uploads\/$/) + proxy.count('PATCH', /\/blobs\/uploads\//) + proxy.count('PUT', /\/blobs\/uploads\//);

before(async () => {
  fixture = await startRegistryFixture('registry');
  ({ tmp, registry, proxy, reg } = fixture);
  a = await reg.freshWithBusybox('push');
  await reg.ok(a, ['run', '--name', 'deleter', 'bb:imported', 'sh', '-c', 'rm /etc/passwd && rm -r /usr/sbin && mkdir -p /opt/x && echo hi > /opt/x/new']);
  await reg.ok(a, ['commit', 'deleter', `${proxy.host}/bb:two`]);
});
after(() => fixture?.stop());

let pushedDigest = '';

test('push, then pull into an empty store: the same image id and layer ids, and it runs', async () => {
  const ref = `${proxy.host}/bb:two`;
  const out = await reg.ok(a, ['push', ref]);
  assert.match(out, new RegExp(`The push refers to repository \\[${proxy.host}/bb\\]`));
  assert.equal((out.match(/: Pushed\n/g) ?? []).length, 2, out);
  pushedDigest = /two: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(out)![1];
  const b = reg.fresh('pull');
  const pulled = await reg.ok(b, ['pull', ref]);
  assert.equal((pulled.match(/: Pull complete\n/g) ?? []).length, 2, pulled);
  assert.match(pulled, new RegExp(`Digest: ${pushedDigest}`));
  const [was, now] = [await reg.inspect(a, ref), await reg.inspect(b, ref)];
  assert.equal(now.id, was.id, 'the same image id');
  assert.deepEqual(now.layers.map((l) => l.id), was.layers.map((l) => l.id), 'the same layer (chain) ids');
  assert.ok(now.layers.every((l) => l.tarVerified), 'pulled layers keep their tar-split: their tars come back');
  assert.equal((await reg.ok(b, ['run', '--rm', ref, 'cat', '/opt/x/new'])).trim(), 'hi');
  const gone = await b.cli(['run', '--rm', ref, 'ls', '/etc/passwd'], { env: reg.env });
  assert.notEqual(gone.code, 0, 'the deletion came with the layer');
  // The manifest is Docker's v2 schema 2, as docker push writes.
  const raw = JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
  assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.ok(raw.layers.every((l: { mediaType: string }) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip'));
});

test('pushing again sends no layer and gives the same manifest digest', async () => {
  assert.ok(pushedDigest, 'the first test pushed');
  const before = uploads();
  const out = await reg.ok(a, ['push', `${proxy.host}/bb:two`]);
  assert.equal((out.match(/: Layer already exists\n/g) ?? []).length, 2, out);
  assert.equal(uploads(), before, 'no blob upload started');
  assert.ok(out.includes(`two: digest: ${pushedDigest} `), out);
});

test('the OCI format to another repository: layers mounted across repositories, pulled back with the same ids', async () => {
  const ref = `${proxy.host}/other/bb-oci:1`;
  await reg.ok(a, ['tag', `${proxy.host}/bb:two`, ref]);
  const mountsBefore = proxy.count('POST', /\?mount=/);
  const before = uploads();
  const out = await reg.ok(a, ['push', '--format', 'oci', ref]);
  assert.equal((out.match(/: Mounted\n/g) ?? []).length, 2, out);
  assert.equal(proxy.count('POST', /\?mount=/) - mountsBefore, 2);
  assert.equal(uploads() - before, 2, 'only the config went up (POST, PUT); the mounts are POSTs to uploads/?mount=');
  const raw = JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
  assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const b = reg.fresh('pull-oci');
  await reg.ok(b, ['pull', ref]);
  const [was, now] = [await reg.inspect(a, ref), await reg.inspect(b, ref)];
  assert.equal(now.id, was.id);
  assert.deepEqual(now.layers.map((l) => l.id), was.layers.map((l) => l.id));
});

test('chunked upload: a store that never pushed sends its layer in PATCH chunks; pulled back the same', async () => {
  const c = reg.fresh('chunked');
  await reg.ok(c, ['import', join(tmp, 'busybox.tar'), `${proxy.host}/chunked:1`]);
  const patches = proxy.count('PATCH', /./);
  await reg.ok(c, ['push', '--chunk-size', '65536', `${proxy.host}/chunked:1`]);
  assert.ok(proxy.count('PATCH', /./) - patches > 3, 'several PATCH chunks');
  const b = reg.fresh('pull-chunked');
  await reg.ok(b, ['pull', `${proxy.host}/chunked:1`]);
  assert.equal((await reg.inspect(b, `${proxy.host}/chunked:1`)).id, (await reg.inspect(c, `${proxy.host}/chunked:1`)).id);
});

test('an index (manifest list): pull picks linux/amd64; pull by digest', async () => {
  const manifest = (await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/bb:two`])).stdout;
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  assert.equal(digest, pushedDigest);
  const entry = (arch: string) => ({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size: Buffer.byteLength(manifest), platform: { os: 'linux', architecture: arch } });
  const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [entry('arm64'), entry('amd64')] });
  const put = await fetch(`http://${registry.host}/v2/bb/manifests/multi`, { method: 'PUT', body: index, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.list.v2+json' } });
  assert.equal(put.status, 201, await put.text());
  const b = reg.fresh('pull-index');
  await reg.ok(b, ['pull', `${proxy.host}/bb:multi`]);
  const id = (await reg.inspect(a, `${proxy.host}/bb:two`)).id;
  assert.equal((await reg.inspect(b, `${proxy.host}/bb:multi`)).id, id);
  const byDigest = await reg.ok(b, ['pull', `${proxy.host}/bb@${pushedDigest}`]);
  assert.match(byDigest, /Already exists/);
  assert.match(byDigest, /Image is up to date/);
});

test('skopeo inspects what Strata pushed; an archive skopeo writes from the registry loads into Strata', async () => {
  const ref = `${registry.host}/bb:two`;
  const info = JSON.parse((await execa('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`])).stdout);
  assert.equal(info.Digest, pushedDigest);
  assert.equal(info.Layers.length, 2);
  const archive = join(tmp, 'skopeo.tar');
  await execa('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:${archive}:copied/bb:two`]);
  const b = reg.fresh('skopeo-load');
  const out = await reg.ok(b, ['load', '-i', archive]);
  assert.match(out, /Loaded image: copied\/bb:two/);
  const was = await reg.inspect(a, `${proxy.host}/bb:two`);
  const now = await reg.inspect(b, 'copied/bb:two');
  assert.equal(now.id, was.id);
  assert.deepEqual(now.layers.map((l) => l.id), was.layers.map((l) => l.id));
});

test('Basic auth (htpasswd): refused without a login, strata login checks and keeps it, push and pull use it, logout drops it', async () => {
  const locked = await Registry.start(join(tmp, 'locked'), { htpasswd: { user: 'alice', password: 's3cret' } });
  try {
    const ref = `${locked.host}/private:1`;
    await reg.ok(a, ['tag', 'bb:imported', ref]);
    const refused = await a.cli(['push', ref], { env: reg.env });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`strata login ${locked.host}`));
    const wrong = await a.cli(['login', '-u', 'alice', '--password-stdin', locked.host], { env: reg.env, input: 'nope\n' });
    assert.notEqual(wrong.code, 0, wrong.stdout);
    assert.match(wrong.stderr, /refused|unauthorized/i);
    assert.match(await reg.ok(a, ['login', '-u', 'alice', '--password-stdin', locked.host], 's3cret\n'), /Login Succeeded/);
    const saved = JSON.parse(readFileSync(join(reg.env.XDG_CONFIG_HOME, 'strata/auths.json'), 'utf8'));
    assert.equal(Buffer.from(saved.auths[locked.host].auth, 'base64').toString(), 'alice:s3cret');
    await reg.ok(a, ['push', ref]);
    const b = reg.fresh('pull-basic');
    await reg.ok(b, ['pull', ref]);
    assert.equal((await reg.inspect(b, ref)).id, (await reg.inspect(a, ref)).id);
    assert.match(await reg.ok(a, ['logout', locked.host]), /Removing login credentials/);
    assert.notEqual((await b.cli(['pull', ref], { env: reg.env })).code, 0, 'no login after logout');
  } finally {
    await locked.stop();
  }
});

test('Bearer auth: a token from the realm the challenge names, fetched with the login from Docker\'s config.json', async () => {
  const gate = await Proxy.start(registry.host, { bearer: { user: 'bob', password: 'pw' } });
  try {
    const ref = `${gate.host}/bb:two`;
    const anonymous = await a.cli(['pull', ref], { env: reg.env });
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /token server refused|strata login/);
    // A login as docker login writes it (auths, base64 "user:password").
    const dockerEnv = { ...reg.env, DOCKER_CONFIG: join(tmp, 'docker-bearer') };
    await execa('mkdir', ['-p', dockerEnv.DOCKER_CONFIG]);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dockerEnv.DOCKER_CONFIG, 'config.json'), JSON.stringify({ auths: { [gate.host]: { auth: Buffer.from('bob:pw').toString('base64') } } }));
    const b = reg.fresh('pull-bearer');
    const r = await b.cli(['pull', ref], { env: dockerEnv });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await reg.inspect(b, ref)).id, (await reg.inspect(a, `${proxy.host}/bb:two`)).id);
    assert.ok(gate.count('GET', /^\/token\?/) >= 1, 'the token came from the realm');
  } finally {
    await gate.stop();
  }
});
