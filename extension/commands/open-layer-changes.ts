// strata.openLayerChanges [layer row | container row | layer id | {layer}]: every file a layer (or a
// container) changes, at once, in the multi-file diff editor, as a Git commit opens.
import { openMultiDiff, type MultiDiffResult } from '../diff/open';
import { hexId, layerBase } from '../diff/uris';
import { ContainerNode } from '../tree/container-node';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { resolveLayer } from './targets';
import { CancelledError } from './wrap';

export async function openLayerChanges(s: Services, arg?: unknown): Promise<MultiDiffResult> {
  if (arg instanceof ContainerNode) {
    const index = await s.changes.container(arg.source);
    return openMultiDiff(arg.source, index, `Container ${arg.summary.name} (${shortId(arg.containerId)}): changes to ${arg.summary.image}`, s.files);
  }
  const layer = await resolveLayer(s, arg);
  if (!layer) throw new CancelledError();
  let { madeBy, parent } = layer;
  if (madeBy === undefined || parent === undefined) {
    const info = await (await s.helper.client()).request('layer.inspect', { id: hexId(layer.id) });
    madeBy = info.comment || info.createdBy;
    parent = info.parent;
  }
  const index = await s.changes.layer(layer.id);
  const title = `Layer ${shortId(layer.id)}${madeBy ? `: ${madeBy.length > 50 ? `${madeBy.slice(0, 49)}…` : madeBy}` : ''}`;
  return openMultiDiff({ kind: 'layer', id: hexId(layer.id), base: layerBase(parent) }, index, title, s.files);
}
