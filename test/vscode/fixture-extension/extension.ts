// The harness fixture: one command and one tree view, enough to check that the real-VS-Code runner
// activates an extension, runs its commands and shows its views. Built to out/extension.js.
import * as vscode from 'vscode';

export const IMAGES = ['alpine:3.20', 'busybox:1.36', 'debian:12-slim'];

class ImagesProvider implements vscode.TreeDataProvider<string> {
  getTreeItem(label: string): vscode.TreeItem {
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.description = `${label.split(':')[0].length} layers`;
    item.iconPath = new vscode.ThemeIcon('package');
    return item;
  }
  getChildren(element?: string): string[] {
    return element ? [] : IMAGES;
  }
}

export function activate(context: vscode.ExtensionContext) {
  let calls = 0;
  context.subscriptions.push(
    vscode.commands.registerCommand('strataFixture.hello', (who?: string) => {
      calls++;
      const text = `Hello ${who ?? 'world'} from the Strata fixture (${calls})`;
      void vscode.window.showInformationMessage(text);
      return text;
    }),
    vscode.window.registerTreeDataProvider('strataFixture.images', new ImagesProvider()),
  );
  return { calls: () => calls, env: (name: string) => process.env[name] };
}

export function deactivate() {}
