// The extension's menus and keybindings as package.json declares them, read against a context (the
// view, the row's contextValue, context keys), as VS Code evaluates their `when` clauses.
import * as vscode from 'vscode';
import { EXTENSION_ID } from './strata';

export type MenuItem = { command: string; when?: string; group?: string };
export type Keybinding = { command: string; key: string; when?: string };

/** Whether a `when` clause of the forms package.json uses (==, !=, =~ /re/, !key, key, &&, ||) holds. */
export function holds(when: string | undefined, context: Record<string, string | boolean>): boolean {
  if (!when) return true;
  return when.split('||').some((any) => any.split('&&').every((term) => {
    const t = term.trim();
    if (t === 'false') return false;
    let m = /^(\S+) =~ \/(.*)\/$/.exec(t);
    // As VS Code: a key that was never set is tested as the text "undefined".
    if (m) return new RegExp(m[2]).test(String(context[m[1]]));
    m = /^(\S+) (==|!=) (\S+)$/.exec(t);
    if (m) return (String(context[m[1]]) === m[3]) === (m[2] === '==');
    m = /^(!?)([\w.]+)$/.exec(t);
    if (m) return !!context[m[2]] !== (m[1] === '!');
    throw new Error(`a when clause this test cannot read: ${t}`);
  }));
}

function contributes() {
  return vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
}

/** The commands of a menu (view/item/context, view/title, commandPalette) that show in this context. */
export function menu(name: string, context: Record<string, string | boolean>): MenuItem[] {
  return (contributes().menus[name] as MenuItem[]).filter((i) => holds(i.when, context));
}

/** The commands the right-click menu (and inline buttons) of a row with this contextValue offers. */
export function rowMenu(view: string, viewItem: string): string[] {
  return menu('view/item/context', { view, viewItem }).map((i) => i.command);
}

/** The command a key runs in this context, if any. */
export function keyCommand(key: string, context: Record<string, string | boolean>): string[] {
  return (contributes().keybindings as Keybinding[]).filter((k) => k.key === key && holds(k.when, context)).map((k) => k.command);
}
