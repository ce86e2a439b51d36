// The extension's own URIs for files in layers and containers, served read-only by
// StrataFileSystem. The authority is the layer's chain id or the container's id (64 hex), the
// path is the file's path inside, and the query names the left side of a diff:
//   strata-layer://<layer id>/etc/motd            the file in this layer
//   strata-layer://<layer id>/etc/motd?below      the file as the layers below show it
//   strata-container://<container id>/etc/motd    the file as the container changed it
//   strata-container://<container id>/etc/motd?image   the file as the container's image has it
// Tree rows name the same files with `.row` after the id (strata-layer://<id>.row/etc/motd): the
// workbench marks a file that is open in a read-only editor with a lock in place of its letter,
// and a row must keep showing A, M or D while its diff is open. (The side goes in the authority,
// not the query, so that a folder row still takes the colour of the rows below it.)
import * as vscode from 'vscode';

export const LAYER_SCHEME = 'strata-layer';
export const CONTAINER_SCHEME = 'strata-container';

/** Where a change list comes from: one layer against its parent, or a container against its image. */
export type ChangeSource = { kind: 'layer'; id: string } | { kind: 'container'; id: string };

export type Side = 'new' | 'old' | 'row';

export interface ParsedUri {
  source: ChangeSource;
  path: string;
  /** A row's URI reads as the 'new' side. */
  side: 'new' | 'old';
  row: boolean;
}

const HEX64 = /^[a-f0-9]{64}$/;

export function hexId(id: string): string {
  return id.startsWith('sha256:') ? id.slice(7) : id;
}

export function sourceKey(source: ChangeSource): string {
  return `${source.kind}:${hexId(source.id)}`;
}

export function fileUri(source: ChangeSource, path: string, side: Side = 'new'): vscode.Uri {
  const scheme = source.kind === 'layer' ? LAYER_SCHEME : CONTAINER_SCHEME;
  const query = side !== 'old' ? '' : source.kind === 'layer' ? 'below' : 'image';
  const authority = side === 'row' ? `${hexId(source.id)}.row` : hexId(source.id);
  return vscode.Uri.from({ scheme, authority, path: path.startsWith('/') ? path : `/${path}`, query });
}

export function parseUri(uri: vscode.Uri): ParsedUri | undefined {
  if (uri.scheme !== LAYER_SCHEME && uri.scheme !== CONTAINER_SCHEME) return undefined;
  const row = uri.authority.endsWith('.row');
  const id = row ? uri.authority.slice(0, -4) : uri.authority;
  if (!HEX64.test(id)) return undefined;
  const kind = uri.scheme === LAYER_SCHEME ? 'layer' : 'container';
  return { source: { kind, id }, path: uri.path || '/', side: uri.query === '' ? 'new' : 'old', row };
}
