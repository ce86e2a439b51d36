// Where everything lives under a store root. Paths are built only from ids that passed the exact
// patterns in ids.ts, never from a caller's string.
import { join } from 'node:path';
import { helperEndpoint } from '../protocol/endpoint';
import { CONTAINER_ID, SHA256_ID, hexOf } from './ids';

export { DEFAULT_ROOT } from '../protocol/endpoint';

function checked(id: string, pattern: RegExp): string {
  if (!pattern.test(id)) throw new Error(`internal: not an exact id: ${JSON.stringify(id)}`);
  return hexOf(id);
}

export class StorePaths {
  constructor(readonly root: string) {}
  get graph() { return join(this.root, 'graph'); }
  get images() { return join(this.root, 'images'); }
  get containers() { return join(this.root, 'containers'); }
  get tmp() { return join(this.root, 'tmp'); }
  get repositories() { return join(this.root, 'repositories.json'); }
  get pidFile() { return helperEndpoint(this.root).pidFile; }
  get socket() { return helperEndpoint(this.root).socket; }
  get log() { return helperEndpoint(this.root).log; }
  layer(id: string) { return join(this.graph, checked(id, SHA256_ID)); }
  layerFiles(id: string) { return join(this.layer(id), 'layer'); }
  layerJson(id: string) { return join(this.layer(id), 'json'); }
  /** What reproduces an imported layer's tar byte for byte (archive/tar-split.ts). */
  layerTarSplit(id: string) { return join(this.layer(id), 'tar-split'); }
  /** Present while no image may use the layer yet (or any more): store/layers.ts, claim. */
  layerUnclaimed(id: string) { return join(this.layer(id), 'unclaimed'); }
  /** Where `strata check --repair` moves what it cannot place (store/lost-found.ts). */
  get lostFound() { return join(this.root, 'lost+found'); }
  image(id: string) { return join(this.images, `${checked(id, SHA256_ID)}.json`); }
  container(id: string) { return join(this.containers, checked(id, CONTAINER_ID)); }
  containerConfig(id: string) { return join(this.container(id), 'config.json'); }
  containerUpper(id: string) { return join(this.container(id), 'upper'); }
  /** Where commit by move stages a layer made of the container's upper dir (engine/upper.ts). */
  containerCommitStage(id: string) { return join(this.container(id), 'commit'); }
  /** Where a container's own copy of its changes is made before it starts again (engine/upper.ts). */
  containerUpperCopy(id: string) { return join(this.container(id), 'upper.copy'); }
}
