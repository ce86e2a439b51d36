// strata.openShell [image row | container row | name | {image} | {container}]: a shell in a
// container in the integrated terminal. From an image: a new container, as `strata run -i -t`.
// From a container: attach to it (and start it again if it had stopped), as `strata start -a -i`.
import * as vscode from 'vscode';
import type { ShellTarget } from '../terminal/container-pty';
import { ContainerNode } from '../tree/container-node';
import { ImageNode } from '../tree/image-node';
import type { Services } from './services';
import { ask, pickImage, pickShellTarget } from './targets';
import { CancelledError } from './wrap';

export function shellTargetOf(arg: unknown): ShellTarget | undefined {
  if (arg instanceof ImageNode) return { image: arg.ref === arg.summary.repoTags[0] ? arg.ref : arg.imageId };
  if (arg instanceof ContainerNode) return { container: arg.containerId };
  if (typeof arg === 'string' && arg) return { image: arg };
  if (arg && typeof arg === 'object') {
    const o = arg as { image?: unknown; container?: unknown; shell?: unknown };
    if (typeof o.container === 'string') return { container: o.container };
    if (typeof o.image === 'string') return typeof o.shell === 'string' && o.shell ? { image: o.image, shell: o.shell } : { image: o.image };
  }
  return undefined;
}

export async function openShell(s: Services, arg?: unknown) {
  const target = shellTargetOf(arg) ?? (await pickShellTarget(s));
  if (!target) throw new CancelledError();
  const opened = await s.shells.open(target);
  s.containers.refresh();
  return { containerId: opened.containerId, terminal: opened.terminal };
}

const SHELL_PATH = /^\/[\w./+-]+$/;

/** Asks which shell: the usual ones, or any path. */
async function pickShell(image: string): Promise<string> {
  const items = ['/bin/bash', '/bin/sh', '/bin/ash', '/bin/zsh'].map((label) => ({ label }));
  const other = { label: 'Other…', description: 'a path to a shell in the image' };
  const picked = await vscode.window.showQuickPick([...items, other], { placeHolder: `Which shell in a new container from ${image}?` });
  if (!picked) throw new CancelledError();
  if (picked !== other) return picked.label;
  return ask({ prompt: 'The shell\'s path in the image', value: '/bin/', validateInput: (v) => (SHELL_PATH.test(v) ? undefined : 'An absolute path, e.g. /usr/bin/fish') });
}

/** strata.openShellWith [image row | name | {image}] [shell path]: "Open Shell" with a shell asked for (or given). */
export async function openShellWith(s: Services, arg?: unknown, shellArg?: unknown) {
  const given = shellTargetOf(arg);
  if (given && !('image' in given)) throw new Error('"Open Shell With…" starts a new container from an image; pick an image');
  const image = given?.image ?? (await pickImage(s, 'Open a shell in a new container from which image?'));
  if (!image) throw new CancelledError();
  const shell = typeof shellArg === 'string' && shellArg ? shellArg : await pickShell(image);
  if (!SHELL_PATH.test(shell)) throw new Error(`"${shell}" is not a path to a shell (an absolute path, e.g. /bin/bash)`);
  return openShell(s, { image, shell });
}
