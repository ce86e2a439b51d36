// What Container Tools users reach for on an image (issue 10, part B), each callable with a row, an
// id or name:tag, or nothing (then the selected row of a focused Images view, else a pick):
//   strata.runImage [opts]        as `strata run`: asks the command, detached or interactive, a name,
//                                 environment and network (or takes them all from opts); an
//                                 interactive container opens in a terminal
//   strata.tagImage [new tag]     as `strata tag`
//   strata.copyImageId            its full id (sha256:…) to the clipboard
//   strata.copyImageTag           its full name:tag (registry/repository:tag) to the clipboard
//   strata.pruneImages            as `strata image prune`: dangling (untagged) images, confirmed
//   strata.imageHistory           `strata history`, as a read-only table (strata-inspect:)
import * as vscode from 'vscode';
import { patterns } from '../../helper/protocol/methods';
import { inspectUri } from '../inspect/inspect-provider';
import { shortId } from '../tree/format';
import { ImageNode } from '../tree/image-node';
import { confirm } from './confirm';
import type { Services } from './services';
import { ask, pickImage, validateImageRef } from './targets';
import { CancelledError } from './wrap';

/** An image from a row, a string, or {image}; undefined if none was given. */
export function imageArg(arg: unknown): string | undefined {
  if (arg instanceof ImageNode) return arg.imageId;
  if (typeof arg === 'string' && arg) return arg;
  if (arg && typeof arg === 'object' && typeof (arg as { image?: unknown }).image === 'string') return (arg as { image: string }).image;
  return undefined;
}

/** The image a command acts on: the argument, else the selected row (a keybinding), else a pick. */
export async function targetImage(s: Services, arg: unknown, question: string): Promise<string> {
  const given = imageArg(arg);
  if (given) return given;
  const selected = s.imagesView.selection.find((n): n is ImageNode => n instanceof ImageNode);
  const ref = selected?.imageId ?? (await pickImage(s, question));
  if (!ref) throw new CancelledError();
  return ref;
}

export interface RunOptions {
  cmd?: string[];
  interactive?: boolean;
  name?: string;
  env?: string[];
  network?: 'none' | 'host';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** A command line typed by a user, split as a shell splits words (quotes kept together, no expansion). */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] ?? m[3]);
  return words;
}

/** What the user is asked, in order; Escape at any step cancels the run. */
async function askRunOptions(s: Services, image: string): Promise<RunOptions> {
  const client = await s.helper.client();
  const config = (await client.request('image.inspect', { ref: image })).config.config;
  const defaultCmd = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])].join(' ');
  const line = await ask({ title: `Run ${image}: 1/5 command`, prompt: 'The command to run (empty: the image\'s own)', value: defaultCmd });
  const mode = await vscode.window.showQuickPick([
    { label: 'Interactive', description: 'with a terminal (docker run -it)', interactive: true },
    { label: 'Detached', description: 'in the background (docker run -d); its output in View Container Logs', interactive: false },
  ], { title: `Run ${image}: 2/5 how`, ignoreFocusOut: true });
  if (!mode) throw new CancelledError();
  const name = await ask({ title: `Run ${image}: 3/5 name`, prompt: 'Its name (empty: one is made up)', validateInput: (v) => (!v.trim() || NAME.test(v.trim()) ? undefined : 'Letters, digits and _ . -, starting with a letter or digit') });
  const envLine = await ask({ title: `Run ${image}: 4/5 environment`, prompt: 'KEY=VALUE pairs, separated by spaces (empty: none)', validateInput: (v) => (splitWords(v).every((w) => patterns.env.test(w)) ? undefined : 'Each one KEY=VALUE') });
  const network = await vscode.window.showQuickPick([
    { label: 'none', description: 'only loopback (docker run --network none)' },
    { label: 'host', description: 'the host\'s network (docker run --network host)' },
  ], { title: `Run ${image}: 5/5 network`, ignoreFocusOut: true });
  if (!network) throw new CancelledError();
  const cmd = splitWords(line);
  return {
    cmd: cmd.length && line !== defaultCmd ? cmd : undefined,
    interactive: mode.interactive,
    name: name || undefined,
    env: splitWords(envLine),
    network: network.label as 'none' | 'host',
  };
}

export async function runImage(s: Services, arg?: unknown, optsArg?: unknown) {
  const image = await targetImage(s, arg, 'Run which image?');
  const given = optsArg && typeof optsArg === 'object' ? (optsArg as RunOptions) : undefined;
  const opts = given ?? (await askRunOptions(s, image));
  if (opts.name && !NAME.test(opts.name)) throw new Error(`"${opts.name}" is not a container name (letters, digits and _ . -, starting with a letter or digit)`);
  const interactive = opts.interactive ?? false;
  const client = await s.helper.client();
  const env = [...(interactive ? ['TERM=xterm-256color'] : []), ...(opts.env ?? [])];
  const { id, name } = await client.request('container.create', {
    image,
    options: { ...(opts.cmd?.length ? { cmd: opts.cmd } : {}), ...(opts.name ? { name: opts.name } : {}), tty: interactive, openStdin: interactive, env, network: opts.network ?? 'none', autoRemove: false },
  });
  s.containers.refresh();
  if (interactive) {
    // Attaching starts it, in a terminal of the panel's size.
    const opened = await s.shells.open({ container: id });
    return { id, name, terminal: opened.terminal };
  }
  await client.request('container.start', { id });
  s.containers.refresh();
  void vscode.window.setStatusBarMessage(`Strata: started ${name} (${shortId(id)}) from ${image}`, 5000);
  return { id, name };
}

export async function tagImage(s: Services, arg?: unknown, tagArg?: unknown) {
  const ref = await targetImage(s, arg, 'Tag which image?');
  const client = await s.helper.client();
  const detail = await client.request('image.inspect', { ref });
  const target = typeof tagArg === 'string' && tagArg
    ? tagArg
    : await ask({ title: `Tag image ${detail.repoTags[0] ?? shortId(detail.id)}`, prompt: 'The new name[:tag] (the tag is latest if left out)', value: detail.repoTags[0] ?? '', validateInput: (v) => (v ? validateImageRef(v) : 'A name is needed') });
  const result = await client.request('image.tag', { source: detail.id, target });
  s.images.refresh();
  return result;
}

export async function copyImageId(s: Services, arg?: unknown) {
  const ref = await targetImage(s, arg, 'Copy the id of which image?');
  const id = (await (await s.helper.client()).request('image.inspect', { ref })).id;
  await vscode.env.clipboard.writeText(id);
  void vscode.window.setStatusBarMessage(`Strata: copied image id ${shortId(id)}…`, 3000);
  return { id };
}

/** The full name:tag: the row's (or the argument's) first tag; an untagged image has none to copy. */
export async function copyImageTag(s: Services, arg?: unknown) {
  const ref = await targetImage(s, arg, 'Copy the name:tag of which image?');
  const detail = await (await s.helper.client()).request('image.inspect', { ref });
  const tag = detail.repoTags.includes(ref) ? ref : detail.repoTags[0];
  if (!tag) throw new Error(`image ${shortId(detail.id)} has no tag to copy (it is dangling): copy its id, or tag it first`);
  await vscode.env.clipboard.writeText(tag);
  void vscode.window.setStatusBarMessage(`Strata: copied ${tag}`, 3000);
  return { tag };
}

export async function pruneImages(s: Services, opts?: unknown) {
  const client = await s.helper.client();
  const dangling = (await client.request('images.list', {})).filter((i) => i.repoTags.length === 0);
  if (dangling.length === 0) {
    void vscode.window.showInformationMessage('Strata: no dangling (untagged) image to remove.');
    return { untagged: [] as string[], deleted: [] as string[] };
  }
  const quiet = !!opts && typeof opts === 'object' && (opts as { confirmed?: unknown }).confirmed === true;
  if (!quiet) await confirm(`Remove ${dangling.length} dangling image${dangling.length === 1 ? '' : 's'} (untagged: ${dangling.slice(0, 5).map((i) => shortId(i.id)).join(', ')}${dangling.length > 5 ? ', …' : ''})? Those a container uses, or another image is built on, stay.`, 'Remove');
  const result = await client.request('images.prune', { all: false });
  s.images.refresh();
  void vscode.window.showInformationMessage(`Strata: removed ${result.deleted.length} dangling image${result.deleted.length === 1 ? '' : 's'}.`);
  return result;
}

export async function imageHistory(s: Services, arg?: unknown) {
  const ref = await targetImage(s, arg, 'The history of which image?');
  const id = (await (await s.helper.client()).request('image.inspect', { ref })).id;
  const uri = inspectUri('history', id);
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
  return { uri, editor };
}
