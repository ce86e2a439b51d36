// Image archives for the load tests, made here from layer tars (hostile ones included) by tar-stream,
// independently of Strata's own writer (helper/distribution/save-formats.ts): what `docker save`
// writes (manifest.json, a config, <dir>/layer.tar) and an OCI image layout (oci-layout, index.json,
// blobs/sha256/...). Each maker returns the archive's entries, so that a test can change one
// (point manifest.json elsewhere, drop a blob, add a duplicate) before packing them with buildTar.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { TarSpec } from './archive-tar';

export interface ArchiveImage {
  /** Base first: each a layer's tar as it goes in the archive (plain or gzip'd, hostile or not). */
  layers: Buffer[];
  /** name:tag names. */
  tags: string[];
}

const hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * The diff_id a config must name for `layer`: the sha256 of its tar uncompressed (what the
 * importer hashes, end blocks and any junk after them included); a gzip that does not decompress
 * gets its own bytes' digest, and is refused for what it is before any digest is compared.
 */
export function diffIdOf(layer: Buffer): string {
  if (!isGzip(layer)) return `sha256:${hex(layer)}`;
  try {
    return `sha256:${hex(gunzipSync(layer))}`;
  } catch {
    return `sha256:${hex(layer)}`;
  }
}

/** An image config (JSON text) for these layers. */
export function imageConfig(layers: Buffer[], created = '2024-01-01T00:00:00Z'): string {
  return JSON.stringify({
    created, architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map(diffIdOf) },
    history: layers.map((_, i) => ({ created, created_by: `layer ${i + 1}` })),
  });
}

/** Each entry once, by name (two images may share a layer). */
function once(entries: TarSpec[]): TarSpec[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.name) && !!seen.add(e.name));
}

/** `docker save`'s layout: <sha256 of the blob>/layer.tar, <config sha256>.json, manifest.json. */
export function dockerArchiveEntries(images: ArchiveImage[]): TarSpec[] {
  const entries: TarSpec[] = [];
  const manifest = images.map((image) => {
    const paths = image.layers.map((l) => {
      const path = `${hex(l)}/layer.tar`;
      entries.push({ name: `${hex(l)}/`, type: 'directory' }, { name: path, data: l });
      return path;
    });
    const config = imageConfig(image.layers);
    entries.push({ name: `${hex(config)}.json`, data: config });
    return { Config: `${hex(config)}.json`, RepoTags: image.tags, Layers: paths };
  });
  entries.push({ name: 'manifest.json', data: JSON.stringify(manifest) });
  return once(entries);
}

const OCI = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};

/** An OCI image layout: every blob under blobs/sha256/ by its digest, index.json naming each tag. */
export function ociArchiveEntries(images: ArchiveImage[]): TarSpec[] {
  const entries: TarSpec[] = [{ name: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) }, { name: 'blobs/', type: 'directory' }, { name: 'blobs/sha256/', type: 'directory' }];
  const blob = (data: Buffer | string) => {
    entries.push({ name: `blobs/sha256/${hex(data)}`, data });
    return `sha256:${hex(data)}`;
  };
  const index = images.flatMap((image) => {
    const layers = image.layers.map((l) => ({ mediaType: isGzip(l) ? `${OCI.layer}+gzip` : OCI.layer, digest: blob(l), size: l.length }));
    const config = imageConfig(image.layers);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI.manifest, config: { mediaType: OCI.config, digest: blob(config), size: Buffer.byteLength(config) }, layers });
    const descriptor = { mediaType: OCI.manifest, digest: blob(manifest), size: Buffer.byteLength(manifest) };
    return image.tags.map((t) => ({ ...descriptor, annotations: { 'org.opencontainers.image.ref.name': t } }));
  });
  entries.push({ name: 'index.json', data: JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests: index }) });
  return once(entries);
}
