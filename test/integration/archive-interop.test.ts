// Strata's archives read by the OCI tools Debian ships (issue 11): umoci unpacks Strata's OCI layout
// (plain and gzip'd) into the very tree a container of the image sees (every path's type, mode,
// owner, size, content hash and link target, against `strata export` of a container of it, and the
// file hashes `strata run` itself reads inside); oci-image-tool validates the layout; skopeo copies
// Strata's docker and OCI archives to an OCI layout folder, and what skopeo writes (oci:DIR,
// docker-archive, oci-archive) loads back into Strata with the same diff_ids.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { TestStore, busyboxTarball } from '../support/strata';

interface Image { id: string; layers: { id: string; diffId: string }[] }

let a: TestStore;
let tmp: string;
const file = (name: string) => join(tmp, name);

async function inspect(store: TestStore, ref: string): Promise<Image> {
  const client = await store.client();
  try { return await client.request('image.inspect', { ref }); } finally { client.dispose(); }
}

/** A peer tool, or a clear failure saying what is missing. */
async function tool(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false });
  if ((r as { code?: string }).code === 'ENOENT' || r.exitCode === 127) throw new Error(`${cmd} is needed (Debian's ${cmd}; scripts/ensure.mjs installs it)`);
  assert.equal(r.exitCode, 0, `${cmd} ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

/** Every path under `root`: type, permission bits, owner, size and sha256 of files, link targets, device numbers. */
function listing(root: string, dir = root, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    const rel = p.slice(root.length);
    const type = st.isDirectory() ? 'd' : st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : '?';
    const what = type === 'f' ? `${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`
      : type === 'l' ? `-> ${readlinkSync(p)}` : type === 'c' || type === 'b' ? `${st.rdev}` : '';
    out.push(`${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${rel} ${what}`);
    if (type === 'd') listing(root, p, out);
  }
  return out;
}

before(async () => {
  a = TestStore.create('interop');
  tmp = mkdtempSync(join(tmpdir(), 'strata-interop-'));
  await a.ok(['import', '-c', 'CMD ["/bin/sh"]', (await busyboxTarball(tmp)).tar, 'bb:imported']);
  // Deletions, an opaque directory (/usr/sbin emptied and made again), a setuid file, a symlink, a
  // hard link, a FIFO and an owner other than root: what an unpacker must get right.
  await a.ok(['run', '--name', 'changer', 'bb:imported', 'sh', '-c', [
    'rm /etc/passwd && rm -r /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only',
    'mkdir -p /opt/x && echo hi > /opt/x/new && chmod 4755 /opt/x/new && chown 1000:1000 /opt/x',
    'ln -s ../x/new /opt/x/link && ln /opt/x/new /opt/x/hard && mkfifo /opt/x/fifo',
  ].join(' && ')]);
  await a.ok(['commit', 'changer', 'bb:committed']);
});
after(async () => {
  await a.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('umoci unpack of Strata\'s OCI layout (plain and gzip\'d) gives the tree a container of the image sees', async () => {
  // The container's view: a container of the image, its file system flattened by strata export.
  await a.ok(['create', '--name', 'view', 'bb:committed']);
  await a.ok(['export', '-o', file('view.tar'), 'view']);
  const view = file('view');
  mkdirSync(view);
  await execa('tar', ['--numeric-owner', '-xpf', file('view.tar'), '-C', view]);
  const seen = listing(view);
  assert.ok(seen.some((l) => l.startsWith('f 4755 0:0 /opt/x/new ')) && seen.some((l) => l.startsWith('p ')), seen.filter((l) => l.includes('/opt/')).join('\n'));
  assert.ok(!seen.some((l) => / \/etc\/passwd /.test(l)) && seen.some((l) => / \/usr\/sbin\/only /.test(l)));
  for (const compress of [false, true]) {
    const layout = file(`layout-${compress}`);
    await a.ok(['save', '--format', 'oci-dir', ...(compress ? ['--compress'] : []), '-o', layout, 'bb:committed']);
    const bundle = file(`bundle-${compress}`);
    await tool('umoci', ['unpack', '--image', `${layout}:bb:committed`, bundle]);
    assert.deepEqual(listing(join(bundle, 'rootfs')), seen, `umoci's rootfs (${compress ? 'gzip' : 'plain'}) and the container's view`);
  }
  // And the bytes the container itself reads, through strata run (the files of the image's folders).
  const inside = await a.ok(['run', '--rm', 'bb:committed', 'sh', '-c', 'find /bin /opt /usr /etc -xdev -type f | sort | xargs sha256sum']);
  const ours = inside.trim().split('\n').filter((l) => !/ \/etc\/(hosts|hostname|resolv\.conf)$/.test(l));
  const umoci = ours.map((l) => {
    const [, path] = l.split(/\s+/);
    return `${createHash('sha256').update(readFileSync(join(file('bundle-false'), 'rootfs', path))).digest('hex')}  ${path}`;
  });
  assert.ok(ours.length > 5);
  assert.deepEqual(ours, umoci, 'the files strata run reads are umoci\'s');
});

test('oci-image-tool validates Strata\'s OCI layout, plain and gzip\'d', async () => {
  for (const compress of [false, true]) {
    const layout = file(`validate-${compress}`);
    await a.ok(['save', '--format', 'oci-dir', ...(compress ? ['--compress'] : []), '-o', layout, 'bb:imported', 'bb:committed']);
    const out = await tool('oci-image-tool', ['validate', '--type', 'image', layout]);
    assert.match(out, /validation succeeded/i, out);
  }
});

test('skopeo copies Strata\'s archives (docker and OCI, plain and gzip\'d) to an OCI layout folder, and what it writes loads back with the same diff_ids', async () => {
  const committed = await inspect(a, 'bb:committed');
  await a.ok(['save', '-o', file('docker.tar'), 'bb:committed']);
  await a.ok(['save', '--compress', '-o', file('docker-gz.tar'), 'bb:committed']);
  await a.ok(['save', '--format', 'oci', '-o', file('oci.tar'), 'bb:committed']);
  await a.ok(['save', '--format', 'oci', '--compress', '-o', file('oci-gz.tar'), 'bb:committed']);
  const copies: [string, string][] = [];
  for (const [name, src] of [
    ['docker', `docker-archive:${file('docker.tar')}:bb:committed`],
    ['docker-gz', `docker-archive:${file('docker-gz.tar')}:bb:committed`],
    ['oci', `oci-archive:${file('oci.tar')}:bb:committed`],
    ['oci-gz', `oci-archive:${file('oci-gz.tar')}:bb:committed`],
  ]) {
    const dest = file(`skopeo-${name}`);
    await tool('skopeo', ['copy', src, `oci:${dest}:bb:committed`]);
    copies.push([dest, 'bb:committed']);
  }
  await tool('skopeo', ['copy', `oci-archive:${file('oci-gz.tar')}:bb:committed`, `docker-archive:${file('skopeo-docker.tar')}:bb:committed`]);
  await tool('skopeo', ['copy', `docker-archive:${file('docker-gz.tar')}:bb:committed`, `oci-archive:${file('skopeo-oci.tar')}:bb:committed`]);
  copies.push([file('skopeo-docker.tar'), 'bb:committed'], [file('skopeo-oci.tar'), 'bb:committed']);
  for (const [from, tag] of copies) {
    const b = TestStore.create('interop-load');
    try {
      assert.match(await b.ok(['load', '-i', from]), new RegExp(`Loaded image: ${tag}\\n`), from);
      const now = await inspect(b, tag);
      assert.deepEqual(now.layers.map((l) => l.diffId), committed.layers.map((l) => l.diffId), `${from}: the same diff_ids`);
      assert.deepEqual(now.layers.map((l) => l.id), committed.layers.map((l) => l.id), `${from}: the same layer ids`);
    } finally {
      await b.close();
    }
  }
});
