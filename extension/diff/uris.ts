// The extension's URIs for files: a path in a version of a file system, as Git names a file by
// {path, ref}. The scheme says what the version is, the authority which one (64 hex), the path the
// file's path inside. StrataFileSystem serves them read-only through the helper's file.read.
//   strata-layer://<layer id>/etc/motd        /etc/motd in that layer's chain (it over the ones below)
//   strata-layer://scratch/etc/motd           the empty file system below a base layer
//   strata-container://<container id>/etc/motd   /etc/motd as the container has it now
//   strata-image://<image id>/etc/motd        /etc/motd as the image has it
// A change list's diff is two versions of one path: a layer against its parent layer (or scratch), a
// container against its image.
// Tree rows name a change with `.row` after the id (strata-layer://<id>.row/etc/motd): the workbench
// marks a file that is open in a read-only editor with a lock in place of its letter, and a row must
// keep showing A, M or D while its diff is open. (The marker goes in the authority, not the query,
// so that a folder row still takes the colour of the rows below it.)
import * as vscode from 'vscode';
import type { FileVersion } from '../../helper/protocol';

export const LAYER_SCHEME = 'strata-layer';
export const CONTAINER_SCHEME = 'strata-container';
export const IMAGE_SCHEME = 'strata-image';
const SCRATCH = 'scratch';

/** A version of a file system; scratch is the empty one a base layer is made on. */
export type Version = FileVersion | { scratch: true };

/**
 * What has a change list: a layer (against its parent) or a container (against its image). `base`
 * is the version its changes are against, the left of its diffs.
 */
export interface ChangeSource {
  kind: 'layer' | 'container';
  id: string;
  base: Version;
}

export interface ParsedUri {
  version: Version;
  path: string;
  /** A tree row's URI: it reads as the version it names. */
  row: boolean;
}

const HEX64 = /^[a-f0-9]{64}$/;

export function hexId(id: string): string {
  return id.startsWith('sha256:') ? id.slice(7) : id;
}

/** A layer's parent as a version: the layer below it, or scratch under a base layer. */
export function layerBase(parent: string | null): Version {
  return parent ? { layer: hexId(parent) } : { scratch: true };
}

/** The version a source's changes make: the right of its diffs. */
export function versionOf(source: ChangeSource): Version {
  return source.kind === 'layer' ? { layer: hexId(source.id) } : { container: source.id };
}

/** A key for what a version's URIs name, for caches and for matching a URI to its change list. */
export function versionKey(version: Version): string {
  if ('scratch' in version) return SCRATCH;
  if ('layer' in version) return `layer:${hexId(version.layer)}`;
  if ('container' in version) return `container:${version.container}`;
  return `image:${hexId(version.image)}`;
}

export function sourceKey(source: ChangeSource): string {
  return versionKey(versionOf(source));
}

function schemeAndAuthority(version: Version): [string, string] {
  if ('scratch' in version) return [LAYER_SCHEME, SCRATCH];
  if ('layer' in version) return [LAYER_SCHEME, hexId(version.layer)];
  if ('container' in version) return [CONTAINER_SCHEME, version.container];
  return [IMAGE_SCHEME, hexId(version.image)];
}

export function versionUri(version: Version, path: string): vscode.Uri {
  const [scheme, authority] = schemeAndAuthority(version);
  return vscode.Uri.from({ scheme, authority, path: path.startsWith('/') ? path : `/${path}` });
}

/** The URI of a tree row for `path` in a change list (see the top of this file for why it differs). */
export function changeRowUri(source: ChangeSource, path: string): vscode.Uri {
  const uri = versionUri(versionOf(source), path);
  return uri.with({ authority: `${uri.authority}.row` });
}

export function parseUri(uri: vscode.Uri): ParsedUri | undefined {
  const row = uri.authority.endsWith('.row');
  const id = row ? uri.authority.slice(0, -4) : uri.authority;
  const path = uri.path || '/';
  if (uri.scheme === LAYER_SCHEME && id === SCRATCH && !row) return { version: { scratch: true }, path, row };
  if (!HEX64.test(id)) return undefined;
  if (uri.scheme === LAYER_SCHEME) return { version: { layer: id }, path, row };
  if (uri.scheme === CONTAINER_SCHEME) return { version: { container: id }, path, row };
  if (uri.scheme === IMAGE_SCHEME) return { version: { image: id }, path, row };
  return undefined;
}
