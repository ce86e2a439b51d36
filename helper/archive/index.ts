// The archive module: tar in and out of the graph. Safe extraction of layer tars into overlayfs
// upper-dir form, the canonical tar of a layer (and its diff_id), the changes a layer makes, and
// fast exact copies of a layer directory.
export type { ImportLimits } from './limits';
export { extractLayer, type ExtractOptions, type ExtractResult } from './extract';
export { layerChanges, layerChangesJson, type Change } from './changes';
export { digestLayer, packLayer } from './pack';
export { copyLayer, copyTree, digestInPlace } from './copy';
export { filesSize } from './native-fs';
