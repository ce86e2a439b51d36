// The Images and Containers views' title bar: Filter… (by name; the filter shows in the view's
// description, and Clear Filter appears while one is set), Sort By… (newest first, the default,
// or by name: the settings strata.images.sortBy and strata.containers.sortBy). Each takes its
// value as an argument (for keybindings and tests); without one it asks.
import * as vscode from 'vscode';
import type { RowsProvider, SortBy } from '../tree/rows-provider';
import type { Services } from './services';
import { ask } from './targets';
import { CancelledError } from './wrap';

// The providers' row types differ; only filter and sort are used here.
type Rows = Pick<RowsProvider<never, never>, 'filter' | 'setFilter' | 'sortBy'>;

async function setFilter(rows: Rows, noun: string, arg: unknown) {
  const text = typeof arg === 'string' ? arg : await ask({ title: `Filter ${noun}`, prompt: `Show only the ${noun} whose name contains (empty: all)`, value: rows.filter });
  rows.setFilter(text);
  return { filter: rows.filter };
}

async function setSort(rows: Rows, noun: string, arg: unknown) {
  let by = arg === 'name' || arg === 'newest' ? arg : undefined;
  if (!by) {
    const picked = await vscode.window.showQuickPick([
      { label: 'Newest first', by: 'newest' as SortBy, picked: rows.sortBy === 'newest' },
      { label: 'By name', by: 'name' as SortBy, picked: rows.sortBy === 'name' },
    ], { title: `Sort ${noun}` });
    if (!picked) throw new CancelledError();
    by = picked.by;
  }
  // The setting (user scope): the view follows it (extension.ts listens for the change).
  await vscode.workspace.getConfiguration('strata').update(`${noun}.sortBy`, by, vscode.ConfigurationTarget.Global);
  return { sortBy: by };
}

export const filterImages = (s: Services, arg?: unknown) => setFilter(s.images, 'images', arg);
export const clearImagesFilter = (s: Services) => setFilter(s.images, 'images', '');
export const sortImages = (s: Services, arg?: unknown) => setSort(s.images, 'images', arg);
export const filterContainers = (s: Services, arg?: unknown) => setFilter(s.containers, 'containers', arg);
export const clearContainersFilter = (s: Services) => setFilter(s.containers, 'containers', '');
export const sortContainers = (s: Services, arg?: unknown) => setSort(s.containers, 'containers', arg);
