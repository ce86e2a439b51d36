// The named bad tars of docs/security.md's import table (issue 14, "bad-tar corpus"), in one place:
// the extractor's own tests (test/hostile/tar-paths, tar-entries, tar-bombs) take each case from
// here, and the same cases go through `strata load` (as the layer of a docker-archive and of an
// OCI layout) and a build's `ADD local.tar` (test/hostile/load-corpus-*, add-corpus-*). Each case is
// either refused (the message the importer gives, and its code) or made into a layer (refused:
// null: a safe result, whose details the extractor's tests check).
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ErrorCode } from '../../helper/protocol/errors';
import { hostMarker } from './archive-hostile';
import { buildTar, END, rawData, rawHeader, rawPax, type TarSpec } from './archive-tar';

export interface NamedTar {
  /** The row of the import table (or the kind of case). */
  row: string;
  label: string;
  tar: Buffer;
  /** The importer's refusal, or null where it makes a layer (one that stays in its folder). */
  refused: RegExp | null;
  /** The refusal's code (BadArchive unless said). */
  code: number;
  /** The entries, where tar-stream made the tar from them. */
  specs?: TarSpec[];
  /** The entry a refusal must name. */
  entry?: string;
  /** Where an absolute-path escape would land on the host. */
  hostPaths?: string[];
}

type Case = [label: string, tar: TarSpec[] | Buffer, refused: RegExp | null, code?: number];

async function named(row: string, cases: Case[], extra: Partial<NamedTar> = {}): Promise<NamedTar[]> {
  return Promise.all(cases.map(async ([label, t, refused, code]) => ({
    row, label, tar: Buffer.isBuffer(t) ? t : await buildTar(t), refused, code: code ?? ErrorCode.BadArchive, ...(Buffer.isBuffer(t) ? {} : { specs: t }), ...extra,
  })));
}

/** The first case of `row` whose label is `label` (a test's details about one case). */
export function caseOf(cases: NamedTar[], row: string, label: string): NamedTar {
  const c = cases.find((x) => x.row === row && x.label === label);
  if (!c) throw new Error(`no case "${label}" in ${row}`);
  return c;
}

/** Row 1: names that climb out (moby TestUntarInvalidFilenames); an absolute name read inside. */
async function traversal(): Promise<NamedTar[]> {
  const out: NamedTar[] = [];
  for (const name of ['../victim/dotdot', '/../victim/slash-dotdot', 'a/../../victim/x', './../victim/x', 'a/b/../../../victim/hello']) {
    for (const type of ['file', 'directory', 'symlink'] as const) {
      const specs: TarSpec[] = [{ name: 'a/', type: 'directory' }, { name, type, linkname: type === 'symlink' ? 'x' : undefined }];
      out.push(...(await named('row 1', [[`${name} (${type})`, specs, /"\.\." component/]], { entry: name })));
    }
  }
  // A hard link's own name, written by hand (tar-stream would not mind either).
  const link = Buffer.concat([rawHeader({ name: 'f', typeflag: '0' }), rawHeader({ name: '../victim/hello', typeflag: '1', linkname: 'f' }), END]);
  out.push(...(await named('row 1', [['a hard link named ../victim/hello', link, /"\.\.\/victim\/hello".*"\.\." component/]])));
  const marker = hostMarker();
  out.push(...(await named('row 1', [['an absolute name', [{ name: `${marker}/x`, data: 'inside' }, { name: '//etc//./motd', data: 'm' }], null]], { hostPaths: [marker] })));
  return out;
}

/** Row 2: a symlink is stored, never followed (moby TestUntarInvalidSymlink). */
async function symlinks(): Promise<NamedTar[]> {
  const hostVictim = hostMarker();
  return named('row 2', [
    // Symlinks alone are fine: they are data, resolved only inside the container.
    ['dotdot symlink', [{ name: 'dotdot', type: 'symlink', linkname: '../victim/hello' }], null],
    ['slash-dotdot symlink', [{ name: 'slash-dotdot', type: 'symlink', linkname: '/../victim/hello' }], null],
    // Replacing a symlink with a file removes the link, it does not write through it.
    ['symlink then file of the same name', [{ name: 'symlink', type: 'symlink', linkname: '../victim/hello' }, { name: 'symlink', data: 'pwned' }], null],
    ['symlink to a dir then file of the same name', [{ name: 'symlink', type: 'symlink', linkname: '../victim' }, { name: 'symlink', data: 'pwned' }], null],
    // Writing below a symlink is refused, whatever it points at.
    ['loophole-victim/file', [{ name: 'loophole-victim', type: 'symlink', linkname: '../victim' }, { name: 'loophole-victim/file', data: 'pwned' }], /parent "loophole-victim" is a symlink/],
    ['dir/loophole/newdir/newfile', [{ name: 'dir/loophole', type: 'symlink', linkname: '../../victim' }, { name: 'dir/loophole/newdir/newfile', data: 'x' }], /parent "dir\/loophole" is a symlink/],
    ['absolute loophole', [{ name: 'loop', type: 'symlink', linkname: hostVictim }, { name: 'loop/hello', data: 'x' }], /parent "loop" is a symlink/],
    ['loophole dir entry', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/sub/', type: 'directory' }], /parent "l" is a symlink/],
    ['symlink to itself, then through it', [{ name: 'self', type: 'symlink', linkname: 'self' }, { name: 'self/x', data: 'x' }], /parent "self" is a symlink/],
    ['hard link via a symlinked parent', [{ name: 'f', data: 'f' }, { name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/hello', type: 'link', linkname: 'f' }], /parent "l" is a symlink/],
    ['whiteout via a symlinked parent', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/.wh.hello' }], /parent "l" is a symlink/],
    ['opaque marker via a symlinked parent', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'l/.wh..wh..opq' }], /"l" is a symlink, not a directory/],
  ], { hostPaths: [hostVictim] });
}

/** Row 3: hard links must name a regular file extracted earlier (moby TestUntarInvalidHardlink). */
function hardLinks(): Promise<NamedTar[]> {
  return named('row 3', [
    ['escaping ../victim/hello', [{ name: 'h', type: 'link', linkname: '../victim/hello' }], /hard link.*"\.\." component/],
    ['escaping /../victim/hello', [{ name: 'h', type: 'link', linkname: '/../victim/hello' }], /hard link.*"\.\." component/],
    ['absolute, read inside the layer: missing', [{ name: 'h', type: 'link', linkname: '/etc/passwd' }], /hard link "h" -> "\/etc\/passwd": the target is not a file extracted earlier/],
    ['to a missing target', [{ name: 'h', type: 'link', linkname: 'nothing' }], /not a file extracted earlier in this layer/],
    ['to a directory', [{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }], /the target is a directory/],
    ['to a symlink', [{ name: 's', type: 'symlink', linkname: '../victim/hello' }, { name: 'h', type: 'link', linkname: 's' }], /the target is a symlink/],
    ['to a symlink, then write through it', [{ name: 's', type: 'symlink', linkname: '../victim/hello' }, { name: 'h', type: 'link', linkname: 's' }, { name: 'h', data: 'pwned' }], /the target is a symlink/],
    ['to the root', [{ name: 'h', type: 'link', linkname: '.' }], /the target is a directory/],
    ['to a whiteout', [{ name: '.wh.gone' }, { name: 'h', type: 'link', linkname: 'gone' }], /the target is a whiteout/],
    ['through a symlinked dir', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: 'h', type: 'link', linkname: 'l/hello' }], /not a file extracted earlier/],
    ['to itself', [{ name: 'f', data: 'x' }, { name: 'f', type: 'link', linkname: 'f' }], /the target is the entry itself/],
    ['to a file inside the dir it replaces', [{ name: 'd/f', data: 'x' }, { name: 'd', type: 'link', linkname: 'd/f' }], /inside what it replaces/],
    // A valid link, then a file of the link's name: the new file is a new inode; the target keeps its data.
    ['a link, then a file of its name', [{ name: 'f', data: 'original' }, { name: 'h', type: 'link', linkname: 'f' }, { name: 'h', data: 'new' }], null],
  ]);
}

/** Row 4, the two-step escape across layers (GNU tar CVE-2025-45582): the two layers, in order. */
export async function twoStepLayers(victim: string): Promise<[Buffer, Buffer]> {
  return [
    // Layer 1 plants x -> the victim (relative and absolute forms).
    await buildTar([{ name: 'x', type: 'symlink', linkname: '../../victim' }, { name: 'y', type: 'symlink', linkname: victim }]),
    // Layer 2 writes x/f and y/hello: in layer 2, x and y are not symlinks, so they are new dirs.
    await buildTar([{ name: 'x/f', data: 'pwned' }, { name: 'y/hello', data: 'pwned' }]),
  ];
}

/** Rows 5 and 6: node-tar's cache and backslash cases; a `.` entry that is not a directory (umoci). */
async function cacheAndRoot(): Promise<NamedTar[]> {
  const row5 = await named('row 5', [
    ['dir, then a symlink of its name, then a write below it', [
      { name: 'a/', type: 'directory' }, { name: 'a/b/', type: 'directory' },
      { name: 'a', type: 'symlink', linkname: '../victim' }, // replaces the dir (and its subtree)
      { name: 'a/b/pwned', data: 'pwned' },
    ], /entry "a\/b\/pwned": its parent "a" is a symlink/],
    ['dir, then a symlink of its name, then a symlink below it', [{ name: 'a/', type: 'directory' }, { name: 'a', type: 'symlink', linkname: '../victim' }, { name: 'a/hello', type: 'symlink', linkname: 'x' }], /parent "a" is a symlink/],
    ['`\\` is an ordinary character', [
      { name: 'x\\y/', type: 'directory' },
      { name: 'x', type: 'symlink', linkname: '../victim' },
      { name: 'x\\y/pwned', data: 'a file in the dir named x\\y' },
      { name: 'x\\hello', data: 'a file named x\\hello' },
      { name: '..\\victim\\hello', data: 'a file named ..\\victim\\hello' },
    ], null],
  ]);
  const row6 = await named('row 6', ([['.', 'file', undefined], ['./', 'symlink', '../victim'], ['/', 'symlink', '/'], ['.', 'link', 'f']] as const)
    .map(([name, type, linkname]): Case => [`a ${type} named ${name}`, [{ name: 'f', data: 'x' }, { name, type, linkname }], /refusing to change the type of the layer root/]));
  // A '.' directory entry is fine, and sets the root's metadata.
  row6.push(...(await named('row 6', [['a . directory', [{ name: './', type: 'directory', mode: 0o751, uid: 5 }], null]])));
  return [...row5, ...row6];
}

/** Rows 7 to 9: device nodes (kept, inert), whiteout spoofing, overlayfs xattrs; NUL and bad PAX. */
async function entries(): Promise<NamedTar[]> {
  const devices = Buffer.concat([
    rawHeader({ name: 'dev/', typeflag: '5', mode: 0o755 }),
    rawHeader({ name: 'dev/sda', typeflag: '4', mode: 0o666, devmajor: 8, devminor: 0 }),
    rawHeader({ name: 'dev/null', typeflag: '3', mode: 0o666, uid: 3, gid: 4, devmajor: 1, devminor: 3 }),
    rawHeader({ name: 'dev/kmem', typeflag: '3', mode: 0o640, gid: 15, devmajor: 1, devminor: 2, mtime: 1_600_000_000 }),
    rawHeader({ name: 'dev/big', typeflag: '3', mode: 0o600, devmajor: 0xfff, devminor: 0xfffff }),
    END,
  ]);
  const row7 = await named('row 7', [
    ['block and character devices', devices, null],
    ...[[0x1000, 0], [1, 0x100000]].map(([devmajor, devminor]): Case => [`device number ${devmajor}:${devminor}`, Buffer.concat([rawHeader({ name: 'dev/x', typeflag: '4', mode: 0o600, devmajor, devminor }), END]), new RegExp(`entry "dev/x": device number ${devmajor}:${devminor} is out of range`)]),
    ['a write through a device node', Buffer.concat([rawHeader({ name: 'sda', typeflag: '4', mode: 0o666, devmajor: 8, devminor: 0 }), rawHeader({ name: 'sda/f', typeflag: '0' }), END]), /entry "sda\/f": its parent "sda" is a device node in this layer; refusing to write through it/],
    ['a hard link to a device node', Buffer.concat([rawHeader({ name: 'sda', typeflag: '4', mode: 0o666, devmajor: 8, devminor: 0 }), rawHeader({ name: 'disk', typeflag: '1', linkname: 'sda' }), END]), /hard link "disk" -> "sda": the target is a device node; hard links may only name regular files/],
    ['a fifo', [{ name: 'run/initctl', type: 'fifo', mode: 0o600, uid: 3, gid: 4 }], null],
  ]);
  const whiteouts: [string, 'file' | 'directory' | 'symlink', RegExp][] = [
    ['.wh.', 'file', /entry "\.wh\.": invalid whiteout "\.wh\." \(it names no file\)/],
    ['etc/.wh..', 'file', /entry "etc\/\.wh\.\.": invalid whiteout/],
    ['etc/.wh...', 'file', /entry "etc\/\.wh\.\.\.": invalid whiteout/],
    ['etc/.wh..wh.plnk', 'file', /invalid whiteout "\.wh\.\.wh\.plnk" \(only \.wh\.\.wh\.\.opq/],
    ['etc/.wh.motd/', 'directory', /a whiteout must be a regular file, not a dir/],
    ['etc/.wh.motd', 'symlink', /a whiteout must be a regular file, not a symlink/],
    ['.wh.etc/passwd', 'file', /a whiteout name \("\.wh\.etc"\) cannot be a directory/],
  ];
  const row8 = await named('row 8', [
    ['a raw 0/0 character device', Buffer.concat([rawHeader({ name: 'etc/passwd', typeflag: '3', mode: 0, devmajor: 0, devminor: 0 }), END]), /entry "etc\/passwd": a raw 0\/0 character device \(an overlayfs whiteout\) is not allowed/],
    ...whiteouts.map(([name, type, error]): Case => [`whiteout ${name} (${type})`, [{ name: 'etc/', type: 'directory' }, { name, type, linkname: type === 'symlink' ? '../victim' : undefined }], error]),
    // A whiteout over an earlier entry of this layer removes it (no write-through), and a later
    // entry of the same name replaces the whiteout.
    ['whiteouts over earlier entries, an entry over a whiteout', [{ name: 'l', type: 'symlink', linkname: '../victim' }, { name: '.wh.l' }, { name: 'm', data: 'gone' }, { name: '.wh.m' }, { name: '.wh.n' }, { name: 'n', data: 'back' }], null],
  ]);
  const row9 = await named('row 9', [
    ['overlay and selinux xattrs', Buffer.concat([
      rawPax([['SCHILY.xattr.trusted.overlay.opaque', 'y'], ['SCHILY.xattr.trusted.overlay.redirect', '/etc'], ['SCHILY.xattr.user.overlay.opaque', 'y'], ['SCHILY.xattr.user.keep', 'kept']]),
      rawHeader({ name: 'd/', typeflag: '5', mode: 0o755 }),
      rawPax([
        ['SCHILY.xattr.trusted.overlay.metacopy', ''], ['SCHILY.xattr.trusted.overlay.origin', Buffer.from([0, 0xfb])],
        ['SCHILY.xattr.security.selinux', 'system_u:object_r:shadow_t:s0'], ['SCHILY.xattr.trusted.evil', 'x'],
        ['SCHILY.xattr.security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex')],
        ['LIBARCHIVE.xattr.user.from%20bsdtar', Buffer.from('b64 value').toString('base64')],
      ]),
      rawHeader({ name: 'd/f', typeflag: '0', size: 2 }), rawData('hi'),
      END,
    ]), null],
    ['a user.* xattr on a symlink', Buffer.concat([rawPax([['SCHILY.xattr.user.x', 'y']]), rawHeader({ name: 's', typeflag: '2', linkname: 'target' }), END]), null],
  ]);
  const pax = await named('pax', [
    ...(['path', 'linkpath'] as const).map((key): Case => [`a NUL in the PAX ${key}`, Buffer.concat([
      rawPax([[key, Buffer.from('../victim/hello\0ignored')]]), key === 'path' ? rawHeader({ name: 'f', typeflag: '0' }) : rawHeader({ name: 's', typeflag: '2', linkname: 'x' }), END,
    ]), /a NUL byte in a name or link target/]),
    ['a malformed PAX record', Buffer.concat([rawHeader({ name: 'PaxHeader', typeflag: 'x', size: 11 }), rawData('999 path=x\n'), rawHeader({ name: 'f', typeflag: '0' }), END]), /bad PAX header at offset 0: malformed PAX record/],
    ['a capability xattr the kernel would refuse', [{ name: 'ping', data: 'x', pax: { 'SCHILY.xattr.security.capability': 'Zm9v' } }], /entry "ping": its security\.capability is not a file capability set \(4 bytes; revision 2 takes 20, revision 3 takes 24\)/],
  ]);
  return [...row7, ...row8, ...row9, ...pax];
}

/** An extended header of `typeflag` claiming `size` bytes, and then that data, made as it is read. */
export async function* hugeHeader(typeflag: string, size: number): AsyncGenerator<Buffer> {
  yield rawHeader({ name: typeflag === 'L' || typeflag === 'K' ? '././@LongLink' : 'PaxHeader', typeflag, size });
  const chunk = Buffer.from(`${'9'.repeat(7)} path=${'a'.repeat(65400)}\n`.slice(0, 65536));
  for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
}

export const HUGE_HEADERS = [['x', 'PAX extended'], ['g', 'PAX global'], ['L', 'GNU long-name'], ['K', 'GNU long-link']] as const;

/** A tar of one file of `mib` MiB of zeros, gzipped: a few hundred KiB that expand 1000 times. */
export async function zeroBomb(mib: number): Promise<Buffer> {
  return gzipSync(await buildTar([{ name: 'zeros', data: Buffer.alloc(mib * 1024 * 1024) }]));
}

/** Rows 10 and 11 at the default limits: bombs, what is not a tar, what is cut short or broken. */
async function bombs(): Promise<NamedTar[]> {
  const huge: Case[] = [];
  for (const [typeflag, label] of HUGE_HEADERS) {
    const parts: Buffer[] = [];
    for await (const b of hugeHeader(typeflag, 10 * 1024 * 1024)) parts.push(b);
    huge.push([`a 10 MB ${label} header`, Buffer.concat(parts), new RegExp(`a ${label} header of 10\\.0 MiB at offset 0 exceeds the limit of 1\\.0 MiB`), ErrorCode.LimitExceeded]);
  }
  const big: [string, string][] = [['comment', 'c'.repeat(400 * 1024)]];
  const row10 = await named('row 10', [
    ...huge,
    ['three 400 KiB PAX headers before one entry', Buffer.concat([rawPax(big), rawPax(big), rawPax(big), rawHeader({ name: 'f', typeflag: '0' }), END]), /a PAX extended header of 400\.0 KiB at offset \d+ exceeds the limit of 1\.0 MiB/, ErrorCode.LimitExceeded],
    ['a path of 201 components', [{ name: `${'a/'.repeat(200)}f`, data: 'x' }], /path of 201 components exceeds the depth limit of 128/, ErrorCode.LimitExceeded],
    ['a path of 4021 bytes', [{ name: `${`${'d'.repeat(200)}/`.repeat(20)}f`, data: 'x' }], /path of 4021 bytes exceeds the limit of 3072/, ErrorCode.LimitExceeded],
    ['a symlink target of 5000 bytes', [{ name: 's', type: 'symlink', linkname: 'x'.repeat(5000) }], /symlink target longer than 3072 bytes/, ErrorCode.LimitExceeded],
    ['a 300-byte name', [{ name: 'ok', data: 'fine' }, { name: `dir/${'n'.repeat(300)}`, data: 'x' }, { name: 'after', data: 'y' }], new RegExp(`strata-fs: create dir/${'n'.repeat(300)}: File name too long`), ErrorCode.LimitExceeded],
    ['a PAX global header, ignored', Buffer.concat([
      rawPax([['path', '../victim/hello'], ['uid', '666'], ['mtime', '1'], ['SCHILY.xattr.trusted.overlay.opaque', 'y']], 'g'),
      rawHeader({ name: 'f', typeflag: '0', size: 2, mode: 0o644 }), rawData('ok'),
      rawPax([['comment', 'a global header at the very end']], 'g'),
      END,
    ]), null],
    ...([['S', null], ['V', null], ['0', [['GNU.sparse.major', '1'], ['GNU.sparse.name', 'f']] as [string, string][]]] as const).map(([typeflag, p]): Case => [
      p ? 'a GNU sparse file' : `entry type ${typeflag}`,
      Buffer.concat([p ? rawPax(p) : Buffer.alloc(0), rawHeader({ name: 'f', typeflag, size: 0 }), END]),
      p ? /"f": GNU sparse files are not supported/ : new RegExp(`"f": unsupported tar entry type '${typeflag}'`),
    ]),
    ['a gzip that expands 1000 times', await zeroBomb(200), /the gzip stream expands more than 100 times \(\d+\.\d KiB became \d+\.\d MiB so far\), as a decompression bomb does; .*--max-compression-ratio 0/, ErrorCode.LimitExceeded],
  ]);
  const junk = randomBytes(64 * 1024);
  junk[0] = 0x52; // never the gzip magic by chance
  const tar = await buildTar([{ name: 'a', data: 'x'.repeat(3000) }, { name: 'b', data: 'y' }]);
  const corrupt = Buffer.from(tar);
  corrupt[512 + 3072 + 10] ^= 0xff;
  const gz = gzipSync(await buildTar([{ name: 'f', data: 'x'.repeat(10000) }]));
  const badCrc = Buffer.from(gz);
  badCrc[gz.length - 8] ^= 0xff; // the CRC-32 in the gzip trailer
  const row11 = await named('row 11', [
    ['random bytes', junk, /not a tar archive: bad header checksum/],
    ['text', Buffer.from('hello, world\n'), /not a tar archive: the input is shorter than one tar header \(13 bytes\)/],
    ['nothing', Buffer.alloc(0), /not a tar archive: the input is empty/],
    ['xz data', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(100)]), /the layer is xz-compressed; plain tar, gzip and zstd are supported/],
    ['cut inside a file\'s data', tar.subarray(0, 512 + 1000), /"a": truncated: the data ends .* \(inside the file's data\)/],
    ['cut inside the padding', tar.subarray(0, 512 + 3072 + 100), /truncated: the data ends 412 bytes short at offset 3684/],
    ['cut before the end blocks', tar.subarray(0, 512 + 3072 + 512 + 512), /truncated: the tar ends at offset 4608 without its end-of-archive blocks/],
    ['cut between the end blocks', tar.subarray(0, tar.length - 512), /truncated: the tar ends after one of its two end-of-archive blocks/],
    ['a bad header checksum after valid entries', corrupt, /bad tar header at offset 3584 \(after "a"\): bad header checksum/],
    ['gzip magic, then garbage', Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(2000)]), /bad gzip data/],
    ['a gzip cut short', gz.subarray(0, gz.length - 10), /bad gzip data: unexpected end of file/],
    ['a gzip with a bad CRC', badCrc, /bad gzip data: incorrect data check/],
  ]);
  return [...row10, ...row11];
}

/** Made once a process (the bombs take a moment), whichever test asks first. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

export const traversalTars = once(traversal);
export const symlinkTars = once(symlinks);
export const hardLinkTars = once(hardLinks);
export const cacheAndRootTars = once(cacheAndRoot);
export const entryTars = once(entries);
export const bombTars = once(bombs);

/** Every named case, at the importer's default limits. */
export async function namedTars(): Promise<NamedTar[]> {
  return [...(await traversalTars()), ...(await symlinkTars()), ...(await hardLinkTars()), ...(await cacheAndRootTars()), ...(await entryTars()), ...(await bombTars())];
}
