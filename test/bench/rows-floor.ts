// 3. Against the floor: what the kernel and the disk cost for the same work with no engine around
// it, measured in the same rounds as Strata's engine doing it. A row whose target is out of reach
// says so with its floor beside it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { directSource } from '../../helper/cli/direct-source';
import { run, writer, type BenchContext } from './context';
import type { Row, Side } from './measure';
import type { StrataApi } from './strata-api';

const sh = (line: string) => run(['sh', ['-c', line], process.env]);

export async function floorRows(ctx: BenchContext, floorC: string): Promise<Row[]> {
  const lower = (await ctx.strata.client.request('image.inspect', { ref: 'bb' })).layers[0].path;
  const n = ctx.files;
  const scratch = () => mkdtempSync(join(ctx.work, 'floor-'));
  const gone = (dir: string) => rmSync(dir, { recursive: true, force: true });
  let changed: Promise<string> | undefined;
  const container = () => (changed ??= ctx.strata.createStartWait('bb', ['sh', '-c', writer(n)]));
  return [
    {
      id: 'floor.run.sh',
      title: 'run /bin/true: engine against the kernel floor in sh',
      sides: {
        strata: { what: 'JSON-RPC: container.create, start, wait', run: () => ctx.strata.createStartWait('bb', ['/bin/true']), after: (_c, _r, id: string) => ctx.strata.remove(id) },
        floor: { what: 'test/bench/floor.sh: unshare + mount overlay + pivot_root + exec, in sh', run: async () => run([join(ctx.repo, 'test/bench/floor.sh'), [lower], process.env]) },
      },
    },
    {
      id: 'floor.run.c',
      title: 'run /bin/true: engine against the kernel floor in C',
      sides: {
        strata: { what: 'JSON-RPC: container.create, start, wait', run: () => ctx.strata.createStartWait('bb', ['/bin/true']), after: (_c, _r, id: string) => ctx.strata.remove(id) },
        floor: { what: 'test/bench/floor.c: the same syscalls, no shell', before: async () => scratch(), run: async (dir: string) => run([floorC, [lower, dir], process.env]), after: async (dir: string) => gone(dir) },
      },
    },
    {
      id: 'floor.changes',
      title: `changes of a container that wrote ${n} files: engine against find on its upper dir`,
      sides: {
        strata: { what: 'JSON-RPC: container.changes', before: container, run: (id: string) => ctx.strata.client.request('container.changes', { id }) },
        floor: {
          what: 'find UPPER (lists the upper dir; no comparison with the layers below)',
          before: async () => (await ctx.strata.client.request('container.inspect', { id: await container() })).upperDir,
          run: async (upper: string) => run(['find', [upper], process.env]),
        },
      },
    },
    {
      id: 'floor.commit',
      title: `commit of ${n} new files: engine against sync -f of ${n} fresh files`,
      runs: Math.max(1, Math.ceil(ctx.runs / 2)),
      note: 'a durable commit must at least flush the new files: sync -f is that floor',
      sides: {
        strata: {
          what: 'JSON-RPC: container.commit (stopped)',
          before: () => ctx.strata.createStartWait('bb', ['sh', '-c', writer(n)]),
          run: (id: string, r) => ctx.strata.commit(id, `floor-commit-${r}`),
          after: async (id: string, r) => { await ctx.strata.remove(id); await ctx.strata.removeImage(`floor-commit-${r}`); },
        },
        floor: {
          what: `sync -f after writing ${n} small files`,
          before: async () => { const d = scratch(); sh(writer(n, join(d, 'many'))); return d; },
          run: async (dir: string) => run(['sync', ['-f', dir], process.env]),
          after: async (dir: string) => gone(dir),
        },
      },
    },
  ];
}

/** Strata's side of every import row: the tar through the API, the image removed after each round. */
function strataImport(api: StrataApi, tar: string, prefix: string): Side<void> {
  return {
    what: 'JSON-RPC: image.import (raw upload, the file sent by the kernel as `strata import FILE` sends it), synced before it answers',
    before: async () => { spawnSync('sync'); },
    run: (_c, r) => api.importTar(tar, `${prefix}-${r}`, true),
    after: (_c, r) => api.removeImage(`${prefix}-${r}`),
  };
}

/** A floor's folder gone, and the deletion on disk before the next round starts. */
async function dropped(dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  spawnSync('sync');
}

/** An import row: Strata's import of `tar` against `floor`, in few rounds (each is a large tar):
 *  five counted, so that one slow round of either side moves the median less than with three. */
function importRow(ctx: BenchContext, api: StrataApi, tar: string, row: Pick<Row, 'id' | 'title' | 'note'>, floor: Side<any>, target?: number): Row {
  return {
    ...row,
    target: target === undefined ? undefined : { kind: 'ratio', against: ['floor'], max: target },
    runs: ctx.quick ? 1 : 5,
    warmup: ctx.quick ? 0 : 1,
    cpu: true,
    sides: { strata: strataImport(api, tar, row.id), floor },
  };
}

/**
 * Import of a large tar against `tar -x` then `sync -f` of it (an import is on disk when Strata says
 * it is done; tar's is not until the sync), in `dir` with the store `api` on the same disk. Each
 * round starts after the same deletion for both: on ext4 the time to create files swings
 * several-fold with what was deleted there just before.
 */
export function importFloorRow(ctx: BenchContext, api: StrataApi, dir: string, tar: string, id: string, title: string, target?: number): Row {
  return importRow(ctx, api, tar, { id, title }, {
    what: 'tar -x, then sync -f',
    before: async () => { const d = mkdtempSync(join(dir, 'x-')); spawnSync('sync'); return d; },
    run: async (d: string) => { execFileSync('tar', ['-C', d, '-xf', tar]); execFileSync('sync', ['-f', d]); },
    after: dropped,
  }, target);
}

/**
 * Three floors between `tar -x` and Strata's import, in `dir` beside the store `api` (the fresh
 * ext4), that say where the import's time goes. Each hashes every byte (sha256: an import must,
 * for its diff_id) and ends with its files flushed, as Strata's import does:
 *  - hashed: `tar -x` of the file, its bytes hashed on the way by `tee` into `openssl dgst`;
 *  - c: the tar sent by this process on a unix socket to a reader in C (test/bench/import-floor.c,
 *    built as `importFloorC`) that hashes in a second thread and writes the files, with no check:
 *    what a tar reader in C beside the writer would cost before any of its checks;
 *  - node: the same socket into a Node process that hashes the bytes and pipes them into `tar -x`
 *    (test/bench/stream-floor.mjs): what any importer pays whose bytes cross Node, before it parses
 *    or checks anything.
 * `stop` ends the two receivers.
 */
export async function importStreamFloorRows(ctx: BenchContext, api: StrataApi, dir: string, tar: string, label: string, importFloorC: string): Promise<{ rows: Row[]; stop: () => void }> {
  const cSocket = join(dir, 'import-floor.sock');
  const nodeSocket = join(dir, 'stream-floor.sock');
  const receivers = [
    await listening(importFloorC, [cSocket, dir]),
    await listening(process.execPath, [join(ctx.repo, 'test/bench/stream-floor.mjs'), nodeSocket, dir]),
  ];
  /** A floor whose receiver listens on `socket`: it answers with the folder it extracted into. */
  const throughSocket = (socket: string, what: string): Side<void> => ({
    what,
    before: async () => { spawnSync('sync'); },
    run: () => sentOverSocket(socket, tar),
    after: (_c, _r, d: string) => dropped(d),
  });
  const rows: Row[] = [
    importRow(ctx, api, tar, {
      id: 'floor.import.hashed',
      title: `import of ${label} against tar -x with every byte hashed as it reads them, + sync -f, on a fresh ext4`,
    }, {
      what: "bash: tee >(openssl dgst -sha256) < TAR | tar -x, then sync -f (no Node; sha256 as an import's diff_id needs it)",
      before: async () => { const d = mkdtempSync(join(dir, 'hashed-')); spawnSync('sync'); return d; },
      run: async (d: string) => {
        run(['bash', ['-c', 'set -o pipefail; tee >(openssl dgst -sha256 >/dev/null) < "$1" | tar -x -C "$2" && sync -f "$2"', 'hashed', tar, d], process.env]);
      },
      after: dropped,
    }),
    importRow(ctx, api, tar, {
      id: 'floor.import.c',
      title: `import of ${label} against a reader in C with no checks (socket in, sha256 beside, files out) + syncfs, on a fresh ext4`,
      note: 'floor: test/bench/import-floor.c, what a tar reader in C beside the writer costs before any check on the tar',
    }, throughSocket(cSocket, 'this process sends the tar on a unix socket to test/bench/import-floor.c (sha256 in a second thread, files written, syncfs)')),
    importRow(ctx, api, tar, {
      id: 'floor.import.node',
      title: `import of ${label} against its bytes through a Node process (hashed, piped into tar -x) + sync -f, on a fresh ext4`,
      note: 'floor: test/bench/stream-floor.mjs, what an importer pays whose bytes cross Node before any parsing or check',
    }, throughSocket(nodeSocket, 'this process sends the tar on a unix socket to test/bench/stream-floor.mjs (sha256 + pipe into tar -x, then sync -f)')),
  ];
  return { rows, stop: () => { for (const r of receivers) r.kill(); } };
}

/** `cmd args`, once it has printed that it listens (its first line of output). */
async function listening(cmd: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited ${code} before it listened`)));
  });
  return child;
}

/**
 * Sends `file` to a floor's receiver on `socket` as Strata's side sends it (the kernel sends it:
 * strata-fs send); resolves with the folder it extracted into.
 */
function sentOverSocket(socket: string, file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = connect({ path: socket, allowHalfOpen: true });
    let answer = '';
    conn.on('connect', () => {
      const src = directSource(openSync(file, 'r'), file, true);
      void (async () => {
        const first = await src.first();
        await new Promise<void>((r, j) => conn.write(first, (err) => (err ? j(err) : r())));
        // The spawn stopped this side's reading (see sendRaw): resume it for the answer.
        await src.sendRest(conn).finally(() => conn.resume());
        conn.end();
      })().catch((err: Error) => { conn.destroy(); reject(err); });
    });
    conn.on('data', (b: Buffer) => { answer += b.toString(); });
    conn.on('end', () => (answer.startsWith('/') ? resolve(answer.trim()) : reject(new Error(answer.trim() || 'the receiver closed without an answer'))));
    conn.on('error', reject);
  });
}

/** A fresh ext4 on a loop device in `ctx.work`, sized for `bytes` of files: no recently deleted
 *  inodes to skip past, so file creation is as cheap as this kernel makes it. */
export function freshExt4(ctx: BenchContext, bytes: number): { dir: string; unmount: () => void } {
  const dir = join(ctx.work, 'fresh-ext4');
  mkdirSync(dir);
  const img = join(ctx.work, 'fresh-ext4.img');
  execFileSync('truncate', ['-s', `${Math.ceil((bytes * 4) / 1e9) + 1}G`, img]);
  execFileSync('mkfs.ext4', ['-q', '-F', img]);
  execFileSync('mount', ['-o', 'loop', img, dir]);
  return { dir, unmount: () => { spawnSync('umount', [dir]); rmSync(img, { force: true }); } };
}
