// The extension's settings, read fresh each time (VS Code caches the configuration itself).
// The store root falls back to $STRATA_ROOT so that tests and scripts can point the extension at
// their own store without touching the user's settings.
import * as vscode from 'vscode';
import { DEFAULT_ROOT } from '../../helper/protocol/endpoint';

export type LaunchSetting = 'auto' | 'direct' | 'sudo' | 'pkexec' | 'socket';
export type NetworkSetting = 'none' | 'host';

export interface StrataSettings {
  storeRoot: string;
  launch: LaunchSetting;
  socket: string;
  defaultImage: string;
  network: NetworkSetting;
  /** The shell a new container's terminal runs; empty: chosen from the image (terminal/shell-choice.ts). */
  shell: string;
}


export function readSettings(): StrataSettings {
  const c = vscode.workspace.getConfiguration('strata');
  return {
    storeRoot: c.get<string>('storeRoot', '').trim() || process.env.STRATA_ROOT || DEFAULT_ROOT,
    launch: c.get<LaunchSetting>('helper.launch', 'auto'),
    socket: c.get<string>('helper.socket', '').trim(),
    defaultImage: c.get<string>('defaultImage', '').trim(),
    network: c.get<NetworkSetting>('network', 'none') === 'host' ? 'host' : 'none',
    shell: c.get<string>('shell', '').trim(),
  };
}

/** Settings whose change needs a new connection to the helper. */
export const CONNECTION_SETTINGS = ['strata.storeRoot', 'strata.helper.launch', 'strata.helper.socket'];
