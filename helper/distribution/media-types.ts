// The media types a registry speaks (image-spec and Docker's v2 schema 2). Which layer types are
// read, and their compression, is archive/decompress.ts's table, the one load uses too.
import { LAYER_MEDIA_TYPES, type Compression } from '../archive/decompress';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

export const DOCKER = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

export const MANIFEST_TYPES = [OCI.manifest, DOCKER.manifest];
export const INDEX_TYPES = [OCI.index, DOCKER.list];
/** What a pull asks for (Accept): an image manifest or a list of them, either family. */
export const ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');

/** The layer's compression by media type; anything else is refused before a byte is fetched. */
export function layerCompression(mediaType: string | undefined, what: string): Compression {
  const c = LAYER_MEDIA_TYPES[mediaType ?? DOCKER.layerGzip];
  if (!c) throw new StrataError(ErrorCode.BadArchive, `${what}: unsupported layer media type ${mediaType}`);
  return c;
}

