// Which shell "Open Shell" starts in a new container, and the prompt it gets (issue 10, item 1: a
// Debian image started /bin/sh, which is dash, with a bash-style PS1 that dash prints as it is,
// `\u@\h:\w$ `). Chosen as Container Tools chooses: the image's Cmd when it is a shell, else bash
// when the image has it, else sh; or what strata.shell or "Open Shell With…" names. The image is
// asked through the helper (files.read, no bytes), never the disk.
// The prompt must be one the chosen shell expands: bash and busybox's ash expand \u \h \w; dash
// (and any other POSIX sh) expands only parameters, so it gets the user and host written in and
// ${PWD} for the folder, which reads the same: root@<short id>:/# .
import type { StrataClient } from '../../helper/protocol';

const SHELL_NAMES = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'yash', 'fish']);

export interface ShellChoice {
  /** The command the container runs: the shell, or the image's own Cmd when that is a shell. */
  cmd: string[];
  /** The PS1 to set (in the container's environment), or none when the shell is not one we know. */
  ps1: string | undefined;
  /** Why this shell, for the log. */
  why: string;
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

export function isShell(program: string | undefined): boolean {
  return !!program && SHELL_NAMES.has(basename(program));
}

/** The user a container of this image runs as, for the prompt: root unless the image says otherwise. */
export function promptUser(configUser: string | undefined): { name: string; root: boolean } {
  const user = (configUser ?? '').split(':')[0];
  return !user || user === 'root' || user === '0' ? { name: 'root', root: true } : { name: user, root: false };
}

/** A PS1 the shell expands. `flavour`: 'escapes' (bash, busybox ash: \u \h \w), 'posix' (dash and the rest: parameters only). */
export function promptFor(flavour: 'escapes' | 'posix', user: { name: string; root: boolean }): string {
  if (flavour === 'escapes') return '\\u@\\h:\\w\\$ ';
  return `${user.name}@\${HOSTNAME}:\${PWD}${user.root ? '#' : '$'} `;
}

/**
 * The shell for a new container from `image`: `setting` (strata.shell, or the one asked for) when
 * given, else the image's Cmd when it is a shell, else /bin/bash when the image has it, else /bin/sh.
 */
export async function chooseShell(client: StrataClient, image: string, setting: string): Promise<ShellChoice> {
  const detail = await client.request('image.inspect', { ref: image });
  const body = detail.config.config ?? {};
  const user = promptUser(body.User);
  let cmd: string[];
  let why: string;
  if (setting) {
    cmd = [setting];
    why = 'as strata.shell (or the choice) says';
  } else if (!body.Entrypoint?.length && isShell(body.Cmd?.[0])) {
    cmd = [...body.Cmd!];
    why = 'the image\'s Cmd is a shell';
  } else {
    const { files } = await client.request('files.read', { version: { image: detail.id }, paths: ['/bin/bash'], maxBytes: 0 });
    const bash = files[0]?.kind === 'file' || files[0]?.kind === 'symlink';
    cmd = [bash ? '/bin/bash' : '/bin/sh'];
    why = bash ? 'the image has bash' : 'the image has no bash';
  }
  const flavour = await flavourOf(client, detail.id, cmd[0]);
  return { cmd, ps1: flavour ? promptFor(flavour, user) : undefined, why };
}

/** Whether the shell expands bash's escapes: bash itself, or an sh that is busybox's ash. */
async function flavourOf(client: StrataClient, imageId: string, program: string): Promise<'escapes' | 'posix' | undefined> {
  const name = basename(program);
  if (name === 'bash' || name === 'ash') return 'escapes';
  if (name !== 'sh') return name === 'dash' || name === 'ksh' || name === 'mksh' || name === 'yash' ? 'posix' : undefined;
  const path = program.startsWith('/') ? program : `/bin/${program}`;
  const { files } = await client.request('files.read', { version: { image: imageId }, paths: [path], maxBytes: 0 });
  const target = files[0]?.kind === 'symlink' ? files[0].linkTarget ?? '' : '';
  return basename(target) === 'busybox' || basename(target) === 'ash' ? 'escapes' : 'posix';
}
