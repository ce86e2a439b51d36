// What `strata save` writes, entry by entry (archive-writer.ts makes the tar):
//  - docker: the layout `docker save` of Docker 20.10 writes and Docker, Podman and skopeo load
//    (moby image/tarexport): <layer>/VERSION, <layer>/json, <layer>/layer.tar per layer (named by
//    the layer's chain id, so images that share a base share its folder), <image id hex>.json (the
//    config, byte for byte), manifest.json ([{Config, RepoTags, Layers}]) and repositories.
//  - oci: an OCI image layout (image-spec layout.md): oci-layout, blobs/sha256/<digest> for each
//    layer (uncompressed, media type ...layer.v1.tar, digest = diff_id), config and manifest, and
//    index.json naming each tag (io.containerd.image.name, as Docker and containerd read it, and
//    org.opencontainers.image.ref.name, as skopeo and Podman do; both name:tag).
// Layers come first and the JSON last, as Docker writes them: a layer's size is known only once
// its tar is opened (reproduce.ts), and the OCI manifest holds it.
// Compressed (save --compress): each layer's tar gzip'd. docker: <layer>/layer.tar.gz (Docker's
// loader and containers/image's docker-archive source sniff the bytes, whatever the name; the
// config's diff_ids stay those of the plain tars). oci: blobs named by the gzip's digest, media type
// ...layer.v1.tar+gzip. The blob is made before its entry (the tar header needs its size first).
import { createHash } from 'node:crypto';
import type { ArchiveEntry } from './archive-writer';

export interface SavedLayer {
  /** The layer's id (its chain id). */
  id: string;
  diffId: string;
  created: string;
  /**
   * Its blob, opened when its turn comes: the tar (sha256 = diffId) or, when saved compressed, the
   * gzip of it, with the gzip's digest.
   */
  open(): Promise<LayerBlob>;
}

export interface LayerBlob {
  size: number;
  stream: AsyncIterable<Buffer>;
  /** The blob's sha256 when it is not the tar itself (compressed). */
  digest?: string;
  /** Writes the blob straight into a descriptor instead (archive-writer.ts's DirectBytes). */
  writeInto?: (fd: number, signal?: AbortSignal) => Promise<void>;
}

export interface SaveOptions {
  /** The layers' blobs are gzip'd tars (SavedLayer.open gives them so). */
  gzip?: boolean;
}

export interface SavedImage {
  id: string;
  /** The config exactly as stored: its sha256 is the image id. */
  config: Buffer;
  /** name:tag names to record for it (none when saved by id). */
  tags: string[];
  /** Base first. */
  layers: SavedLayer[];
}

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

const hex = (id: string) => id.replace(/^sha256:/, '');
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Each layer once (by id), base first across the images. */
function distinctLayers(images: SavedImage[], key: (l: SavedLayer) => string): SavedLayer[] {
  const seen = new Map<string, SavedLayer>();
  for (const image of images) for (const l of image.layers) if (!seen.has(key(l))) seen.set(key(l), l);
  return [...seen.values()];
}

export function* dockerArchive(images: SavedImage[], opts: SaveOptions = {}): Generator<ArchiveEntry> {
  const file = opts.gzip ? 'layer.tar.gz' : 'layer.tar';
  const parentOf = new Map<string, string>();
  for (const image of images) image.layers.forEach((l, i) => { if (i > 0) parentOf.set(l.id, image.layers[i - 1].id); });
  for (const l of distinctLayers(images, (x) => x.id)) {
    const dir = hex(l.id);
    const parent = parentOf.get(l.id);
    yield { name: `${dir}/` };
    yield { name: `${dir}/VERSION`, data: Buffer.from('1.0') };
    yield { name: `${dir}/json`, data: json({ id: dir, ...(parent ? { parent: hex(parent) } : {}), created: l.created, container_config: { Cmd: null }, os: 'linux' }) };
    yield { name: `${dir}/${file}`, open: l.open };
  }
  const repositories: Record<string, Record<string, string>> = {};
  for (const image of images) {
    yield { name: `${hex(image.id)}.json`, data: image.config };
    const top = image.layers.length ? hex(image.layers[image.layers.length - 1].id) : '';
    for (const t of image.tags) {
      const colon = t.lastIndexOf(':');
      (repositories[t.slice(0, colon)] ??= {})[t.slice(colon + 1)] = top;
    }
  }
  const manifest = images.map((image) => ({
    Config: `${hex(image.id)}.json`,
    RepoTags: image.tags.length ? image.tags : null,
    Layers: image.layers.map((l) => `${hex(l.id)}/${file}`),
  }));
  yield { name: 'manifest.json', data: json(manifest) };
  yield { name: 'repositories', data: json(repositories) };
}

export function* ociLayout(images: SavedImage[], opts: SaveOptions = {}): Generator<ArchiveEntry> {
  yield { name: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) };
  yield { name: 'blobs/' };
  yield { name: 'blobs/sha256/' };
  /** Each layer's blob as written, by diff_id: its digest and size are known once it is made. */
  const blobs = new Map<string, { digest: string; size: number }>();
  for (const l of distinctLayers(images, (x) => x.diffId)) {
    const open = async () => {
      const blob = await l.open();
      const digest = blob.digest ?? l.diffId;
      blobs.set(l.diffId, { digest, size: blob.size });
      return { ...blob, name: `blobs/sha256/${hex(digest)}` };
    };
    yield { name: `blobs/sha256/${hex(l.diffId)}`, open };
  }
  const layerType = opts.gzip ? MEDIA.layerGzip : MEDIA.layer;
  const index: unknown[] = [];
  const written = new Set<string>();
  for (const image of images) {
    if (!written.has(image.id)) yield { name: `blobs/sha256/${hex(image.id)}`, data: image.config };
    written.add(image.id);
    const manifest = json({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: image.id, size: image.config.length },
      layers: image.layers.map((l) => ({ mediaType: layerType, ...blobs.get(l.diffId)! })),
    });
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    if (!written.has(digest)) yield { name: `blobs/sha256/${hex(digest)}`, data: manifest };
    written.add(digest);
    const descriptor = { mediaType: MEDIA.manifest, digest, size: manifest.length };
    if (image.tags.length === 0) index.push(descriptor);
    for (const t of image.tags) index.push({ ...descriptor, annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': t } });
  }
  yield { name: 'index.json', data: json({ schemaVersion: 2, mediaType: MEDIA.index, manifests: index }) };
}
