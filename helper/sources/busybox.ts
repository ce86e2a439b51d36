// The built-in image: a root filesystem made from Debian's busybox-static, so that Strata can be
// shown and tested without a network. About 290 entries and 2 MB, like a tiny debootstrap.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, lutimesSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const BUSYBOX_BINARY = '/bin/busybox';

export class BusyboxMissingError extends Error {
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
export function buildBusyboxRootfs(dir: string): void {
  if (!existsSync(BUSYBOX_BINARY)) throw new BusyboxMissingError();
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev', 'home', 'var/log']) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  chmodSync(join(dir, 'root'), 0o700);
  copyFileSync(BUSYBOX_BINARY, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX_BINARY, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const path = join(dir, applet);
    if (applet === 'bin/busybox' || existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(relative(dirname(path), join(dir, 'bin/busybox')), path);
  }
  // busybox has no bash applet; the article's `/usr/bin/env bash` gets busybox's ash instead,
  // with bash's Debian prompt (root@<hostname>:/#). (ash gives PS1 a default even when not
  // interactive, so an inherited PS1 cannot be told apart: it is set unconditionally.)
  writeFileSync(join(dir, 'bin/bash'), BASH_SHIM, { mode: 0o755 });
  for (const [name, text] of Object.entries(ETC_FILES)) writeFileSync(join(dir, name), text, { mode: 0o644 });
  // Every file gets the busybox binary's mtime, so the same busybox always gives the same tar,
  // the same diff_id and the same image: content-addressed, as the graph should be.
  stampTimes(dir, statSync(BUSYBOX_BINARY).mtime);
}

function stampTimes(path: string, when: Date): void {
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) stampTimes(join(path, name), when);
  lutimesSync(path, when, when);
}
