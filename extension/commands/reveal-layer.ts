// strata.revealLayer [layer row | layer id]: where a layer lives on disk, graph/<id>/layer, the
// folder the article finds with `sudo ls /var/lib/docker/graph/<id>/layer`. The store is root's
// (mode 0700), so the folder is shown by path and listed in a terminal (with sudo when needed).
import * as vscode from 'vscode';
import { hexId } from '../diff/uris';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { resolveLayer } from './targets';
import { CancelledError } from './wrap';

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function revealLayer(s: Services, arg?: unknown): Promise<{ id: string; path: string }> {
  const layer = await resolveLayer(s, arg);
  if (!layer) throw new CancelledError();
  const info = await (await s.helper.client()).request('layer.inspect', { id: hexId(layer.id) });
  s.log.info(`layer ${info.id} lives in ${info.path}`);
  const asRoot = process.getuid?.() === 0;
  void vscode.window
    .showInformationMessage(`Layer ${shortId(info.id)} lives in ${info.path}`, 'List in Terminal', 'Copy Path')
    .then(async (choice) => {
      if (choice === 'Copy Path') await vscode.env.clipboard.writeText(info.path);
      if (choice === 'List in Terminal') {
        const terminal = vscode.window.createTerminal({ name: `graph ${shortId(info.id)}`, iconPath: new vscode.ThemeIcon('folder-opened') });
        terminal.show();
        terminal.sendText(`${asRoot ? '' : 'sudo '}ls -la ${shellQuote(info.path)}`);
      }
    });
  return { id: info.id, path: info.path };
}
