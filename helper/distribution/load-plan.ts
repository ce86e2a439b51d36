// From what an archive held (archive-reader.ts) to the images to load: docker-archive's
// manifest.json (Docker 20.10 and later, Podman, skopeo, Strata) or an OCI layout's index.json,
// with every digest checked: OCI blobs against their descriptors (manifest, config, each layer as
// it is in the archive, gzip'd or not), and every config's diff_ids against the layers' tars as
// extracted. A mismatch refuses the whole load, before anything reaches the store.
import { SHA256_ID } from '../store/ids';
import { badArchive } from '../archive/limits';
import { compressionOfMediaType } from '../archive/decompress';
import { lookup, type Found, type StagedLayer } from './archive-reader';
import { MEDIA } from './save-formats';

export interface LoadImage {
  /** The config's bytes as they came: their sha256 is the image id. */
  config: Buffer;
  /** name[:tag] the archive gives it. */
  tags: string[];
  /** Base first, in the order of the config's diff_ids. */
  layers: StagedLayer[];
}

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEXES = [MEDIA.index, 'application/vnd.docker.distribution.manifest.list.v2+json'];

interface Descriptor { mediaType?: string; digest: string; size?: number; annotations?: Record<string, string>; platform?: { os?: string; architecture?: string } }

function parseJson<T>(data: Buffer, what: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw badArchive(`${what} is not JSON: ${(err as Error).message}`, err);
  }
}

/** `check()`, its error said of `what`. */
function withBadArchive<T>(what: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw badArchive(`${what}: ${(err as Error).message}`, err);
  }
}

/** Layers staged from memory (small ones), once per archive path. */
type StageBytes = (data: Buffer) => Promise<StagedLayer>;

async function layerAt(found: Map<string, Found>, path: string, stageBytes: StageBytes, cache: Map<string, StagedLayer>, what: string): Promise<{ layer: StagedLayer; digest: string }> {
  const f = lookup(found, path, what);
  if (f.kind === 'layer') return f;
  let layer = cache.get(path);
  if (!layer) cache.set(path, (layer = await stageBytes(f.data)));
  return { layer, digest: f.digest };
}

/** A config's diff_ids must be the layers' own, in order. */
function checkDiffIds(config: Buffer, layers: StagedLayer[], what: string): void {
  const parsed = parseJson<{ rootfs?: { type?: string; diff_ids?: unknown } }>(config, `${what}'s config`);
  const ids = parsed.rootfs?.diff_ids;
  if (parsed.rootfs?.type !== 'layers' || !Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && SHA256_ID.test(d))) {
    throw badArchive(`${what}: its config has no rootfs.diff_ids of sha256 digests`);
  }
  if (ids.length !== layers.length) throw badArchive(`${what}: its config lists ${ids.length} layers, the archive gives ${layers.length}`);
  layers.forEach((l, i) => {
    if (l.diffId !== ids[i]) throw badArchive(`${what}: layer ${i + 1}'s tar has the digest ${l.diffId}, its config says ${ids[i]}`);
  });
}

async function fromDockerManifest(found: Map<string, Found>, stageBytes: StageBytes): Promise<LoadImage[]> {
  const manifest = parseJson<{ Config?: unknown; RepoTags?: unknown; Layers?: unknown }[]>(bytesOf(lookup(found, 'manifest.json', 'file'), 'manifest.json'), 'manifest.json');
  if (!Array.isArray(manifest)) throw badArchive('manifest.json is not a list of images');
  const cache = new Map<string, StagedLayer>();
  const images: LoadImage[] = [];
  for (const [n, m] of manifest.entries()) {
    const what = `image ${n + 1} of manifest.json`;
    if (typeof m.Config !== 'string' || !Array.isArray(m.Layers) || !m.Layers.every((l) => typeof l === 'string')) throw badArchive(`${what}: no Config and Layers`);
    const config = lookup(found, m.Config, 'config');
    if (config.kind !== 'bytes') throw badArchive(`${what}: its config ${m.Config} is not a small JSON file`);
    const layers: StagedLayer[] = [];
    for (const path of m.Layers as string[]) layers.push((await layerAt(found, path, stageBytes, cache, 'layer')).layer);
    checkDiffIds(config.data, layers, what);
    const tags = Array.isArray(m.RepoTags) ? m.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    images.push({ config: config.data, tags, layers });
  }
  return images;
}

/** The blob a descriptor names, checked against its digest. */
function blob(found: Map<string, Found>, d: Descriptor, what: string): Extract<Found, { kind: 'bytes' | 'layer' }> {
  if (typeof d?.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest)) throw badArchive(`${what}: not a sha256 descriptor`);
  const f = lookup(found, `blobs/sha256/${d.digest.slice(7)}`, what);
  if (f.digest !== d.digest) throw badArchive(`${what}: the blob ${d.digest} has the digest ${f.digest} (corrupted)`);
  return f;
}

function bytesOf(f: Found, what: string): Buffer {
  if (f.kind !== 'bytes') throw badArchive(`${what} is too large for a JSON document`);
  return f.data;
}

/** The image manifest a descriptor names: itself, or linux/amd64 (or the only one) of an index. */
function manifestOf(found: Map<string, Found>, d: Descriptor, what: string, depth = 0): { mediaType?: string; config: Descriptor; layers: Descriptor[] } {
  const doc = parseJson<{ mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(bytesOf(blob(found, d, what), what), what);
  const type = d.mediaType ?? doc.mediaType;
  if (INDEXES.includes(type ?? '') || (Array.isArray(doc.manifests) && !doc.config)) {
    const list = doc.manifests ?? [];
    const pick = list.length === 1 ? list[0] : list.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64');
    if (!pick || depth > 2) throw badArchive(`${what}: an index with no linux/amd64 image`);
    return manifestOf(found, pick, `${what} (linux/amd64)`, depth + 1);
  }
  if (type !== undefined && type !== MEDIA.manifest && type !== DOCKER_MANIFEST) throw badArchive(`${what}: unsupported manifest type ${type}`);
  if (!doc.config || !Array.isArray(doc.layers)) throw badArchive(`${what}: a manifest with no config or layers`);
  return { mediaType: type, config: doc.config, layers: doc.layers };
}

/** name:tag from an index entry's annotations (containerd's full name first, then the OCI ref name). */
function tagsOf(d: Descriptor): string[] {
  const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
  return name ? [name] : [];
}

async function fromOciIndex(found: Map<string, Found>, stageBytes: StageBytes): Promise<LoadImage[]> {
  const index = parseJson<{ manifests?: Descriptor[] }>(bytesOf(lookup(found, 'index.json', 'file'), 'index.json'), 'index.json');
  if (!Array.isArray(index.manifests)) throw badArchive('index.json lists no manifests');
  const cache = new Map<string, StagedLayer>();
  const images: LoadImage[] = [];
  for (const [n, d] of index.manifests.entries()) {
    const what = `image ${n + 1} of index.json`;
    const m = manifestOf(found, d, what);
    const config = bytesOf(blob(found, m.config, `${what}'s config`), `${what}'s config`);
    const layers: StagedLayer[] = [];
    for (const [i, l] of m.layers.entries()) {
      const lwhat = `${what}, layer ${i + 1}`;
      // A type Strata reads; the blob's own first bytes then choose how it is decompressed (decompress.ts).
      if (l.mediaType) withBadArchive(lwhat, () => compressionOfMediaType(l.mediaType!));
      blob(found, l, lwhat); // its digest, as it is in the archive
      layers.push((await layerAt(found, `blobs/sha256/${l.digest.slice(7)}`, stageBytes, cache, lwhat)).layer);
    }
    checkDiffIds(config, layers, what);
    images.push({ config, tags: tagsOf(d), layers });
  }
  return images;
}

/** The images an archive holds, every digest checked; docker-archive's manifest.json first. */
export async function planLoad(found: Map<string, Found>, stageBytes: StageBytes): Promise<LoadImage[]> {
  if (found.has('manifest.json')) return fromDockerManifest(found, stageBytes);
  if (found.has('index.json')) return fromOciIndex(found, stageBytes);
  throw badArchive('not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)');
}
