// A fixture directory with every kind of entry a layer holds and every piece of metadata that must
// survive a round trip: modes with setuid/setgid/sticky, owners, exact mtimes (dirs included), hard
// links, symlinks (relative, absolute, dangling), a fifo, long and deep names, a name that is not
// UTF-8, a backslash in a name, an empty file, a file big enough to be streamed, and xattrs
// including a binary security.capability.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { makeFifo, setXattrs } from './archive-fs';

// cap_net_raw+ep as the kernel stores it (VFS_CAP_REVISION_2): binary, with NUL and high bytes.
export const CAP_NET_RAW = Buffer.from('0100000200200000000000000000000000000000', 'hex');

const T = 1_600_000_000;

export async function makeFixture(root: string): Promise<void> {
  const at = (p: string) => join(root, p);
  await fsp.mkdir(at('etc/ssl'), { recursive: true });
  await fsp.mkdir(at('tmp'));
  await fsp.mkdir(at('srv/shared'), { recursive: true });
  await fsp.mkdir(at('root'));
  await fsp.writeFile(at('etc/motd'), 'hello\n');
  await fsp.writeFile(at('etc/empty'), '');
  await fsp.writeFile(at('etc/ssl/secret.key'), 'key\n');
  await fsp.writeFile(at('big.bin'), randomBytes(3 * 1024 * 1024 + 17));
  await fsp.writeFile(at('su'), '#!/bin/sh\n');
  await fsp.writeFile(at('ping'), 'ELF');
  await fsp.link(at('etc/motd'), at('etc/motd.link'));
  await fsp.link(at('etc/motd'), at('root/motd.again'));
  await fsp.symlink('motd', at('etc/motd.sym'));
  await fsp.symlink('/etc/ssl/secret.key', at('key.abs'));
  await fsp.symlink('../nowhere/at/all', at('dangling'));
  await makeFifo(root, 'tmp/fifo', 0o620);
  const long = `${'l'.repeat(120)}.txt`;
  await fsp.writeFile(at(long), 'long name\n');
  const deep = Array.from({ length: 12 }, (_, i) => `level-${i}-${'d'.repeat(20)}`).join('/');
  await fsp.mkdir(at(deep), { recursive: true });
  await fsp.writeFile(at(`${deep}/leaf`), 'deep\n');
  await fsp.writeFile(Buffer.concat([Buffer.from(root), Buffer.from('/latin1-\xe9t\xe9', 'latin1')]), 'not utf-8\n');
  await fsp.writeFile(at('back\\slash'), 'a backslash is a character\n');
  // In GNU format the header keeps the first 100 bytes of a long name: for `tar -C dir .` that is
  // './' + 97 bytes + '/', which must not make the entry a directory (an import of /usr/lib found it).
  await fsp.mkdir(at('t'.repeat(97)));
  await fsp.writeFile(at(`${'t'.repeat(97)}/file`), 'in a dir with a 97-byte name\n');
  await fsp.chmod(at('tmp'), 0o1777);
  await fsp.chmod(at('srv/shared'), 0o2775);
  await fsp.chmod(at('root'), 0o700);
  await fsp.chmod(at('su'), 0o4755);
  await fsp.chmod(at('etc/ssl/secret.key'), 0o600);
  await fsp.chown(at('etc/ssl/secret.key'), 1000, 1001);
  await fsp.chown(at('srv/shared'), 33, 33);
  await fsp.lchown(at('dangling'), 7, 8);
  await setXattrs(root, [
    ['ping', 'security.capability', CAP_NET_RAW],
    ['etc/motd', 'user.origin', 'fixture'],
    ['srv/shared', 'user.binary', Buffer.from([0, 1, 2, 255])],
  ]);
  // Times last, children before parents, so nothing moves them afterwards.
  const all = await list(root);
  for (const p of all.reverse()) {
    const st = await fsp.lstat(p);
    const t = T + (p.length % 1000);
    if (st.isSymbolicLink()) await fsp.lutimes(p, t, t);
    else await fsp.utimes(p, t, t);
  }
}

async function list(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [Buffer.from(dir)];
  for (const d of await fsp.readdir(Buffer.from(dir), { withFileTypes: true, encoding: 'buffer' })) {
    const p = Buffer.concat([Buffer.from(dir), Buffer.from('/'), d.name]);
    if (d.isDirectory()) out.push(...(await list(p.toString()))); // the fixture's directories are ASCII
    else out.push(p);
  }
  return out;
}
