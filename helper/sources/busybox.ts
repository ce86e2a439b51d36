// The built-in image: a root filesystem made from Debian's busybox-static, so that Strata can be
// shown and tested without a network. About 290 entries and 2 MB, like a tiny debootstrap.
// Asynchronous throughout: the helper builds it while it serves other requests.
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const BUSYBOX_BINARY = '/bin/busybox';

class BusyboxMissingError extends Error {
  constructor() {
    super(`busybox: ${BUSYBOX_BINARY} not found; install Debian's busybox-static (apt-get install busybox-static)`);
  }
}

const ETC_FILES: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  'etc/group': 'root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n',
  'etc/hosts': '127.0.0.1\tlocalhost\n',
  'etc/motd': 'Welcome to a Strata busybox container.\n',
  'etc/os-release': 'NAME="Strata busybox"\nID=busybox\n',
  'etc/profile': 'export PS1=\'\\u@\\h:\\w\\$ \'\n',
};

const BASH_SHIM = `#!/bin/busybox sh
# Strata's busybox image: "bash" is busybox's ash with bash's prompt.
PS1='\\u@\\h:\\w\\$ '
export PS1
exec /bin/busybox sh "$@"
`;

/** Writes a busybox root filesystem into `dir` (which must be empty or missing). */
export async function buildBusyboxRootfs(dir: string): Promise<void> {
  const binary = await fs.stat(BUSYBOX_BINARY).catch(() => null);
  if (binary === null) throw new BusyboxMissingError();
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev', 'home', 'var/log']) {
    await fs.mkdir(join(dir, d), { recursive: true, mode: 0o755 });
  }
  await fs.chmod(join(dir, 'tmp'), 0o1777);
  await fs.chmod(join(dir, 'root'), 0o700);
  await fs.copyFile(BUSYBOX_BINARY, join(dir, 'bin/busybox'));
  await fs.chmod(join(dir, 'bin/busybox'), 0o755);
  await linkApplets(dir);
  // busybox has no bash applet; the article's `/usr/bin/env bash` gets busybox's ash instead,
  // with bash's Debian prompt (root@<hostname>:/#). (ash gives PS1 a default even when not
  // interactive, so an inherited PS1 cannot be told apart: it is set unconditionally.)
  await fs.writeFile(join(dir, 'bin/bash'), BASH_SHIM, { mode: 0o755 });
  for (const [name, text] of Object.entries(ETC_FILES)) await fs.writeFile(join(dir, name), text, { mode: 0o644 });
  // Every file gets the busybox binary's mtime, so the same busybox always gives the same tar,
  // the same diff_id and the same image: content-addressed, as the graph should be.
  await stampTimes(dir, binary.mtime);
}

/** Where each applet lives, relative to the root (bin/sh, usr/bin/env, ...), as busybox lists them. */
async function appletPaths(): Promise<string[]> {
  try {
    const { stdout } = await execa(BUSYBOX_BINARY, ['--list-full']);
    return stdout.split('\n').filter(Boolean);
  } catch (err) {
    throw new Error(`busybox: listing its applets (${BUSYBOX_BINARY} --list-full): ${(err as Error).message}`, { cause: err });
  }
}

/** A relative symlink to bin/busybox at each applet's path that is still free. */
async function linkApplets(dir: string): Promise<void> {
  const paths = [...new Set(await appletPaths())].map((applet) => join(dir, applet));
  for (const parent of new Set(paths.map((p) => dirname(p)))) await fs.mkdir(parent, { recursive: true });
  // Concurrently (as stampTimes): awaited one at a time, these ~400 round trips to libuv's thread
  // pool made the build about twice as long (on a tmpfs, medians of 7: 64 ms against 30 ms).
  await Promise.all(
    paths.map(async (path) => {
      if ((await fs.lstat(path).catch(() => null)) !== null) return; // bin/busybox itself
      await fs.symlink(relative(dirname(path), join(dir, 'bin/busybox')), path);
    }),
  );
}

/** Every path under `root` (itself included), without following symlinks. */
async function allPaths(root: string): Promise<string[]> {
  const found = [root];
  for (const e of await fs.readdir(root, { withFileTypes: true })) {
    if (e.isDirectory()) found.push(...(await allPaths(join(root, e.name))));
    else found.push(join(root, e.name));
  }
  return found;
}

async function stampTimes(root: string, when: Date): Promise<void> {
  await Promise.all((await allPaths(root)).map((path) => fs.lutimes(path, when, when)));
}
