// The status bar says how Strata reaches its helper (root, sudo, pkexec or a socket), or that it
// cannot, and clicking it shows the log (or retries after a failure).
import * as vscode from 'vscode';
import type { Helper, HelperState } from './helper';

export function createStatusItem(helper: Helper): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('strata.helper', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Strata helper';
  const show = (state: HelperState) => {
    item.backgroundColor = undefined;
    item.command = 'strata.showLog';
    switch (state) {
      case 'connecting':
        item.text = '$(sync~spin) Strata';
        item.tooltip = `Strata: starting its helper for ${helper.storeRoot}…`;
        break;
      case 'connected':
        item.text = `$(layers) Strata: ${helper.describe.split(' ')[0]}`;
        item.tooltip = new vscode.MarkdownString(`**Strata helper** via ${helper.describe}\n\nStore: \`${helper.storeRoot}\`\n\nClick to show the log.`);
        break;
      case 'failed':
        item.text = '$(error) Strata: no helper';
        item.tooltip = `${helper.lastError?.message ?? 'Strata cannot reach its helper.'}\n\nClick to retry.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        item.command = 'strata.refresh';
        break;
      default:
        item.text = '$(layers) Strata';
        item.tooltip = 'Strata: not connected to its helper yet';
    }
    item.show();
  };
  show(helper.state);
  const sub = helper.onDidChangeState(show);
  return vscode.Disposable.from(item, sub);
}
