// What a command acts on: given as an argument (a tree row from a menu, an id or name from a
// keybinding, a task or a test), or else picked by the user from a quick pick.
import * as vscode from 'vscode';
import { patterns } from '../../helper/protocol/methods';
import type { ShellTarget } from '../terminal/container-pty';
import { ContainerNode, statusText } from '../tree/container-node';
import { age, commandLine, formatSize, shortId } from '../tree/format';
import { ImageNode } from '../tree/image-node';
import { LayerNode } from '../tree/layer-node';
import { CancelledError } from './wrap';
import type { Services } from './services';

export function validateImageRef(value: string): string | undefined {
  if (!value) return undefined;
  return patterns.imageRef.test(value) && value.length <= 255 ? undefined : 'A name[:tag]: letters, digits and . _ - / : @, starting with a letter or digit';
}

export async function pickImage(s: Services, placeHolder: string): Promise<string | undefined> {
  const client = await s.helper.client();
  const images = await client.request('images.list', {});
  if (images.length === 0) {
    void vscode.window.showInformationMessage('Strata has no images yet: import a root filesystem tarball or create the built-in busybox image first.', 'Create Busybox Image')
      .then((c) => c && vscode.commands.executeCommand('strata.createBusyboxImage'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    images.map((i) => ({ label: i.repoTags[0] ?? shortId(i.id), description: `${shortId(i.id)} · ${formatSize(i.size)} · ${age(i.created)}`, ref: i.repoTags[0] ?? i.id })),
    { placeHolder },
  );
  return picked?.ref;
}

export async function pickContainer(s: Services, placeHolder: string, filter: (running: boolean) => boolean = () => true): Promise<string | undefined> {
  const client = await s.helper.client();
  const list = (await client.request('containers.list', { all: true })).filter((c) => filter(c.status === 'running'));
  if (list.length === 0) {
    void vscode.window.showInformationMessage('Strata: no container to choose from. Open a shell in an image first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    list.map((c) => ({ label: c.name, description: `${c.image} · ${statusText(c)} · ${shortId(c.id)}`, detail: commandLine(c.command, 80), id: c.id })),
    { placeHolder },
  );
  return picked?.id;
}

/** An image or a container for "Open shell": attach to a running container, or a new one from an image. */
export async function pickShellTarget(s: Services): Promise<ShellTarget | undefined> {
  const client = await s.helper.client();
  const [images, containers] = await Promise.all([client.request('images.list', {}), client.request('containers.list', { all: false })]);
  type Item = vscode.QuickPickItem & { target?: ShellTarget };
  const items: Item[] = [];
  if (containers.length) items.push({ label: 'Running containers: attach', kind: vscode.QuickPickItemKind.Separator });
  for (const c of containers) items.push({ label: `$(vm-running) ${c.name}`, description: `${c.image} · ${commandLine(c.command, 40)} · ${shortId(c.id)}`, target: { container: c.id } });
  if (images.length) items.push({ label: 'Images: a shell in a new container', kind: vscode.QuickPickItemKind.Separator });
  for (const i of images) items.push({ label: `$(package) ${i.repoTags[0] ?? shortId(i.id)}`, description: `${shortId(i.id)} · ${formatSize(i.size)}`, target: { image: i.repoTags[0] ?? i.id } });
  if (items.length === 0) {
    await pickImage(s, ''); // says there are no images and offers to make one
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder: 'Open a shell in a container: attach to a running one, or start one from an image' }))?.target;
}

/** A layer to act on: a layer row, a chain id, or one picked (image, then layer; the top one first). */
/** A layer; madeBy and parent (null under a base layer) when the row or the pick told them. */
export async function resolveLayer(s: Services, arg: unknown): Promise<{ id: string; madeBy?: string; parent?: string | null } | undefined> {
  if (arg instanceof LayerNode) return { id: arg.layer.id, madeBy: arg.madeBy, parent: arg.layer.parent };
  if (typeof arg === 'string' && arg) return { id: arg };
  if (arg && typeof arg === 'object' && typeof (arg as { layer?: unknown }).layer === 'string') return { id: (arg as { layer: string }).layer };
  const image = arg instanceof ImageNode ? arg.imageId : await pickImage(s, 'Which image?');
  if (!image) return undefined;
  const client = await s.helper.client();
  const detail = await client.request('image.inspect', { ref: image });
  const layers = [...detail.layers].reverse();
  if (layers.length === 1) return { id: layers[0].id, madeBy: layers[0].comment || layers[0].createdBy, parent: layers[0].parent };
  const picked = await vscode.window.showQuickPick(
    layers.map((l, i) => ({ label: shortId(l.id), description: `${i === 0 ? 'top · ' : ''}${l.comment || l.createdBy} · ${formatSize(l.size)}`, layer: l })),
    { placeHolder: 'Which layer? (newest first)' },
  );
  return picked ? { id: picked.layer.id, madeBy: picked.layer.comment || picked.layer.createdBy, parent: picked.layer.parent } : undefined;
}

/** A container id from a row, a string, or {container}; undefined if none was given. */
export function containerArg(arg: unknown): string | undefined {
  if (arg instanceof ContainerNode) return arg.containerId;
  if (typeof arg === 'string' && arg) return arg;
  if (arg && typeof arg === 'object' && typeof (arg as { container?: unknown }).container === 'string') return (arg as { container: string }).container;
  return undefined;
}

/** Asks with an input box; Escape cancels the whole command. */
export async function ask(options: vscode.InputBoxOptions): Promise<string> {
  const value = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
  if (value === undefined) throw new CancelledError();
  return value.trim();
}
