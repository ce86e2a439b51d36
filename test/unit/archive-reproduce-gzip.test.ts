// An imported layer's tar made again and gzip'd in one native process (archive/reproduce-gzip.ts,
// strata-fs tar-gzip), what a push of an imported layer uses: the blob is exactly what the other
// path makes (openLayerTar through strata-fs gzip), so it reads back as the original tar byte for
// byte; a folder changed behind Strata's back fails it, naming the file, never as a complete
// stream; the tar's last block is held back until its length and sha256 are checked; and the
// tool never reads outside the layer folder (a planted symlink, a path that climbs out), nor
// hangs on a FIFO put in a file's place. Level 0, a save's plain tar (openLayerTarNative), keeps
// every one of those guarantees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openLayerTarGzip, openLayerTarNative, tarGzipAvailable } from '../../helper/archive/reproduce-gzip';
import { openLayerTar, type LayerTarSource } from '../../helper/archive/reproduce';
import { nativeGzip } from '../../helper/distribution/native-gzip';
import { nativeTool } from '../../helper/native';
import { buildBusyboxRootfs } from '../../helper/sources/busybox';
import { makeTmp, removeTmp, sha256 } from '../support/archive-fs';
import { makeFixture } from '../support/archive-fixture';
import { buildTar } from '../support/archive-tar';
import { gnuTar, importWithSplit } from '../support/layer-split';

const MB = 1 << 20;
const has = (lib: string) => spawnSync('sh', ['-c', `ldconfig -p | grep -q "${lib} "`]).status === 0;

async function requireTool(): Promise<void> {
  assert.ok(await tarGzipAvailable(), 'strata-fs tar-gzip cannot run here: it needs libdeflate0 and libssl3 (libcrypto), which .ci/run installs');
}

async function all(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

async function gzipOf(src: LayerTarSource): Promise<Buffer> {
  const z = await openLayerTarGzip(src, 1, () => undefined);
  assert.ok(z, `${src.id}: an imported layer with a tar-split takes the native path`);
  return all(z.stream);
}

/** The tool run by hand on a plan: its exit code, stdout and stderr. */
function runTool(dir: string, size: number, diffId: string, plan: Buffer, level = 1) {
  const r = spawnSync(nativeTool('strata-fs'), ['tar-gzip', dir, String(size), diffId, String(level)], { input: plan, maxBuffer: 64 * MB, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr.toString() };
}

const rawRecord = (data: Buffer) => Buffer.concat([Buffer.from('R'), u32(data.length), data]);
const fileRecord = (path: string, size: number, crc: number) => Buffer.concat([Buffer.from('F'), u32(Buffer.byteLength(path)), Buffer.from(path), u64(size), u32(crc)]);
const endRecord = (total: number) => Buffer.concat([Buffer.from('E'), u64(total)]);
function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; }
function u64(n: number): Buffer { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; }

test('strata-fs tar-gzip runs exactly when libdeflate and libcrypto are there', async () => {
  assert.equal(await tarGzipAvailable(), has('libdeflate.so.0') && has('libcrypto.so.3'));
  await requireTool();
});

test('every tar shape comes back from the blob byte for byte, and the blob is the one the other path makes', async () => {
  await requireTool();
  const tmp = makeTmp();
  try {
    await makeFixture(join(tmp, 'src'));
    const rootfs = join(tmp, 'rootfs');
    await buildBusyboxRootfs(rootfs);
    const tars: [string, Buffer][] = [
      ['gnu', await gnuTar(join(tmp, 'src'), join(tmp, 'gnu.tar'), 'gnu')],
      ['posix', await gnuTar(join(tmp, 'src'), join(tmp, 'posix.tar'), 'posix')],
      ['busybox', await gnuTar(rootfs, join(tmp, 'bb.tar'), 'gnu')],
      // Files across block edges (1 MiB), one of them empty, one larger than a block.
      ['blocks', await buildTar([{ name: 'a', data: randomBytes(MB - 700) }, { name: 'empty', data: '' }, { name: 'b', data: randomBytes(3 * MB + 5) }, { name: 'c', data: 'end\n' }])],
      ['empty', Buffer.alloc(1024)],
    ];
    for (const [name, tar] of tars) {
      const { src, unreproducible } = await importWithSplit(tmp, name, tar);
      assert.equal(unreproducible, undefined, `${name}: kept a tar-split`);
      const z = await openLayerTarGzip(src, 1, () => undefined);
      assert.equal(z?.size, tar.length, `${name}: the tar's size is known before its bytes`);
      const blob = await all(z!.stream);
      assert.ok(gunzipSync(blob).equals(tar), `${name}: the blob reads back as the tar imported`);
      const other = await all(nativeGzip((await openLayerTar(src)).stream, 1));
      assert.equal(sha256(blob), sha256(other), `${name}: the same blob (digest) as the tar made in Node and gzip'd by strata-fs gzip`);
      const plain = await openLayerTarNative(src);
      assert.equal(plain?.size, tar.length, `${name}: level 0 knows the tar's size first too`);
      assert.ok((await all(plain!.stream)).equals(tar), `${name}: level 0 gives the tar imported, byte for byte`);
    }
  } finally {
    removeTmp(tmp);
  }
});

test('a folder changed behind Strata\'s back fails the blob, naming the file; it never ends as a whole gzip', async () => {
  await requireTool();
  const tmp = makeTmp();
  try {
    const tar = await buildTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', data: 'hello\n' }, { name: 'etc/big', data: randomBytes(3 * MB) }, { name: 'etc/last', data: 'last\n' }]);
    await fsp.writeFile(join(tmp, 'secret'), 'SECRET-OUTSIDE-THE-LAYER\n');
    const cases: [string, (dir: string) => Promise<void>, RegExp][] = [
      ['same size, other bytes', (d) => fsp.writeFile(join(d, 'etc/motd'), 'HELLO\n'), /"etc\/motd" is not the file that was imported/],
      ['removed', (d) => fsp.rm(join(d, 'etc/last')), /a file is no longer as imported .*"etc\/last": gone \(No such file or directory\)/],
      ['grown', (d) => fsp.appendFile(join(d, 'etc/big'), 'more'), /"etc\/big": not a regular file of 3145728 bytes/],
      // A symlink planted where a file was must not make the root helper read, and push, what it points at.
      ['a symlink in its place', async (d) => { await fsp.rm(join(d, 'etc/motd')); await fsp.symlink(join(tmp, 'secret'), join(d, 'etc/motd')); }, /"etc\/motd": gone \(Too many levels of symbolic links\)/],
      ['its parent a symlink', async (d) => { await fsp.rename(join(d, 'etc'), join(d, 'etc.real')); await fsp.symlink('etc.real', join(d, 'etc')); }, /"etc\/motd": gone/],
      // A FIFO must not hang the open (it would wait for a writer forever).
      ['a FIFO in its place', async (d) => { await fsp.rm(join(d, 'etc/motd')); spawnSync('mkfifo', [join(d, 'etc/motd')]); }, /"etc\/motd": not a regular file of 6 bytes/],
    ];
    for (const [what, change, problem] of cases) {
      const { src } = await importWithSplit(tmp, what.replace(/\W+/g, '-'), tar);
      assert.ok(gunzipSync(await gzipOf(src)).equals(tar), `${what}: as imported, it reproduces`);
      await change(src.dir);
      const z = await openLayerTarGzip(src, 1, () => undefined);
      const got: Buffer[] = [];
      await assert.rejects(async () => { for await (const c of z!.stream) got.push(c); }, (err: Error) => {
        assert.match(err.message, /^layer [^:]+: its tar cannot be reproduced: /, what);
        assert.match(err.message, problem, what);
        return true;
      });
      const made = Buffer.concat(got);
      assert.ok(!made.includes(Buffer.from('SECRET')) && !gunzipSync(made, { finishFlush: 2 }).includes(Buffer.from('SECRET')), `${what}: nothing from outside the layer`);
      assert.ok(gunzipSync(made, { finishFlush: 2 }).length < tar.length, `${what}: never the whole tar`);
      // The same at level 0 (a save): fails naming the file; never the whole tar, nothing from outside.
      const plain: Buffer[] = [];
      await assert.rejects(async () => { for await (const c of (await openLayerTarNative(src))!.stream) plain.push(c); }, (err: Error) => {
        assert.match(err.message, problem, `${what}, level 0`);
        return true;
      });
      assert.ok(Buffer.concat(plain).length < tar.length && !Buffer.concat(plain).includes(Buffer.from('SECRET')), `${what}, level 0: never the whole tar, nothing from outside`);
    }
  } finally {
    removeTmp(tmp);
  }
});

test('the tool holds the tar\'s last block back until its length and sha256 are checked; a plan never leaves the folder', async () => {
  await requireTool();
  const tmp = makeTmp();
  try {
    const data = Buffer.alloc(2 * MB + 1000, 'x');
    const plan = Buffer.concat([rawRecord(data), endRecord(data.length)]);
    const right = runTool(tmp, data.length, sha256(data), plan);
    assert.equal(right.code, 0, right.err);
    assert.ok(gunzipSync(right.out).equals(data), 'with its own digest: the whole tar');

    const wrongDigest = `sha256:${'0'.repeat(64)}`;
    const wrong = runTool(tmp, data.length, wrongDigest, plan);
    assert.equal(wrong.code, 4);
    assert.equal(wrong.err.trim(), `unreproducible digest ${sha256(data)}`);
    assert.ok(gunzipSync(wrong.out).equals(data.subarray(0, 2 * MB)), 'another digest: the whole blocks before the last, never the last');
    const plainRight = runTool(tmp, data.length, sha256(data), plan, 0);
    assert.equal(plainRight.code, 0, plainRight.err);
    assert.ok(plainRight.out.equals(data), 'level 0, its own digest: the whole tar, not compressed');
    const plainWrong = runTool(tmp, data.length, wrongDigest, plan, 0);
    assert.equal(plainWrong.code, 4);
    assert.ok(plainWrong.out.equals(data.subarray(0, 2 * MB)), 'level 0, another digest: never the last block');
    assert.equal(runTool(tmp, data.length, sha256(data), plan, -1).code, 2, 'a level below 0 is refused');

    const long = runTool(tmp, MB, sha256(data), Buffer.concat([rawRecord(data), endRecord(MB)]));
    assert.equal(long.code, 4);
    assert.equal(long.err.trim(), 'unreproducible longer', 'longer than it should be: stopped');
    assert.equal(gunzipSync(long.out, { finishFlush: 2 }).length, 0, 'and the block that holds its last byte is never let through');
    const short = runTool(tmp, data.length + 1, sha256(data), Buffer.concat([rawRecord(data), endRecord(data.length + 1)]));
    assert.equal(short.err.trim(), `unreproducible length ${data.length}`, 'shorter than it should be');

    // A path that climbs out of the folder, or is absolute, is refused by the kernel (openat2 RESOLVE_BENEATH).
    await fsp.mkdir(join(tmp, 'layer'));
    await fsp.writeFile(join(tmp, 'outside'), 'OUTSIDE\n');
    for (const path of ['../outside', 'a/../../outside', join(tmp, 'outside')]) {
      const escape = runTool(join(tmp, 'layer'), 8, sha256(Buffer.from('OUTSIDE\n')), Buffer.concat([fileRecord(path, 8, 0), endRecord(8)]));
      assert.equal(escape.code, 4, path);
      assert.match(escape.err, /^unreproducible file 0 gone/m, path);
      assert.ok(!gunzipSync(escape.out, { finishFlush: 2 }).includes(Buffer.from('OUTSIDE')), `${path}: not read`);
    }
    const cut = runTool(tmp, 10, sha256(data), rawRecord(Buffer.alloc(10)));
    assert.notEqual(cut.code, 0);
    assert.match(cut.err, /plan was cut short/);
  } finally {
    removeTmp(tmp);
  }
});
