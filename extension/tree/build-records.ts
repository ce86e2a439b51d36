// Which Dockerfile line made a layer: what a build run from VS Code learned (the helper's build
// result names each step's layer and line), kept in the extension's global state so that the
// Images view can label a built layer with its instruction and go back to its line, across
// restarts. Layers are content-addressed: the same layer made again keeps its first record.
import type * as vscode from 'vscode';
import type { BuildStep } from '../../helper/protocol';

export interface BuiltLayer {
  /** The Dockerfile's URI (as a string). */
  file: string;
  /** 1-based line. */
  line: number;
  instruction: string;
}

const KEY = 'strata.builtLayers';
const MAX_RECORDS = 5000;
let memento: vscode.Memento | undefined;

export const buildRecords = {
  init(m: vscode.Memento): void {
    memento = m;
  },

  get(layerId: string): BuiltLayer | undefined {
    return memento?.get<Record<string, BuiltLayer>>(KEY, {})[layerId];
  },

  /** Records the layers a build's steps made (the newest records kept, up to MAX_RECORDS). */
  async record(file: string, steps: BuildStep[]): Promise<void> {
    if (!memento) return;
    const all = { ...memento.get<Record<string, BuiltLayer>>(KEY, {}) };
    for (const s of steps) if (s.layer && !all[s.layer]) all[s.layer] = { file, line: s.line, instruction: s.instruction };
    const entries = Object.entries(all);
    await memento.update(KEY, Object.fromEntries(entries.slice(Math.max(0, entries.length - MAX_RECORDS))));
  },
};
