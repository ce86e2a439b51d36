// Shell terminals: the "Strata container shell" profile in the terminal's + menu, and the
// terminals that "Open shell" makes. Each is a ContainerPty; they are listed here so that
// commands and tests can tell which container a terminal runs in.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import { readSettings } from '../client/settings';
import { ContainerPty, type ShellTarget } from './container-pty';

export const PROFILE_ID = 'strata.containerShell';

export interface OpenedShell {
  terminal: vscode.Terminal | undefined;
  pty: ContainerPty;
}

export class Shells implements vscode.Disposable {
  readonly ptys: ContainerPty[] = [];

  constructor(private readonly helper: Helper, private readonly onError: (err: unknown) => void) {}

  /** A pty for a new container from `image`, or attached to an existing container. */
  makePty(target: ShellTarget, reportErrors: boolean): ContainerPty {
    const { network, shell } = readSettings();
    const pty = new ContainerPty(this.helper, target, { network, shell, onError: reportErrors ? this.onError : undefined });
    this.ptys.push(pty);
    if (this.ptys.length > 50) this.ptys.shift();
    return pty;
  }

  /** Opens a terminal running a shell in a container and waits until the shell runs. */
  async open(target: ShellTarget): Promise<OpenedShell & { containerId: string }> {
    const pty = this.makePty(target, false);
    const name = 'image' in target ? `strata ${target.image}` : 'exec' in target ? `strata exec ${target.exec.slice(0, 12)}` : `strata ${target.container.slice(0, 12)}`;
    const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('vm') });
    terminal.show();
    const { containerId } = await pty.ready;
    return { terminal, pty, containerId };
  }

  /**
   * Shows the terminal VS Code makes for `pty` once it exists. A profile's terminal, made from the
   * terminal's + menu, was created but not shown: the panel kept showing the previous terminal
   * until its tab was clicked (issue 10, item 2). Shown as "Open Shell" shows its own.
   */
  showWhenOpened(pty: ContainerPty): void {
    const sub = vscode.window.onDidOpenTerminal((terminal) => {
      if (this.ptyOf(terminal) !== pty) return;
      sub.dispose();
      terminal.show(false);
    });
    // A profile VS Code never uses (the user closed the picker) must not leave the listener behind.
    setTimeout(() => sub.dispose(), 60_000).unref?.();
  }

  /** The pty of a terminal that this extension made, if any. */
  ptyOf(terminal: vscode.Terminal): ContainerPty | undefined {
    const opts = terminal.creationOptions as vscode.ExtensionTerminalOptions;
    return this.ptys.find((p) => p === opts.pty);
  }

  dispose(): void {
    this.ptys.length = 0;
  }
}

/** The terminal profile: asks for an image (or takes strata.defaultImage), then opens a shell in a new container. */
export class ShellProfileProvider implements vscode.TerminalProfileProvider {
  constructor(private readonly shells: Shells, private readonly pickImage: () => Promise<string | undefined>) {}

  async provideTerminalProfile(): Promise<vscode.TerminalProfile | undefined> {
    const image = readSettings().defaultImage || (await this.pickImage());
    if (!image) return undefined;
    const pty = this.shells.makePty({ image }, true);
    this.shells.showWhenOpened(pty);
    return new vscode.TerminalProfile({ name: `strata ${image}`, pty, iconPath: new vscode.ThemeIcon('vm') });
  }
}
