// Turning a tar entry's name into a path inside the layer, and recognising whiteouts.
import { baseOf, joinRel, parentOf, quote } from './fspath';
import { badArchive, limitExceeded, type ImportLimits } from './limits';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * The layer-relative path of a tar name ('.' for the root). Empty and '.' components go; a leading
 * '/' is dropped (GNU tar and Docker read absolute names relative to the root). Any '..' component is
 * refused outright rather than resolved: `../x`, `/../x` and `a/../../x` all try to escape (moby
 * TestUntarInvalidFilenames, umoci TestUnpackEntrySanitiseScoping), and a legitimate layer never
 * needs one. Containment is then by component, never by string prefix (tar-fs CVE-2025-59343).
 * '\' is an ordinary character on Linux, never a separator (node-tar CVE-2021-37701).
 */
export function layerPath(name: string, limits: ImportLimits, what = 'entry'): string {
  if (name.length > limits.maxPathBytes) {
    throw limitExceeded(`${what} ${quote(name.slice(0, 80))}...: path of ${name.length} bytes exceeds the limit of ${limits.maxPathBytes}`);
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw badArchive(`${what} ${quote(name)}: refusing a path with a ".." component (it would escape the layer)`);
  if (parts.length > limits.maxDepth) {
    throw limitExceeded(`${what} ${quote(name.slice(0, 80))}...: path of ${parts.length} components exceeds the depth limit of ${limits.maxDepth}`);
  }
  for (let i = 0; i < parts.length - 1; i++) {
    if (parts[i].startsWith(WHITEOUT_PREFIX)) {
      throw badArchive(`${what} ${quote(name)}: a whiteout name (${quote(parts[i])}) cannot be a directory`);
    }
  }
  return parts.length ? parts.join('/') : '.';
}

export type Whiteout = { kind: 'opaque'; dir: string } | { kind: 'delete'; target: string };

/**
 * What a whiteout entry means, or null for an ordinary name. `dir/.wh..wh..opq` makes dir opaque;
 * `dir/.wh.name` deletes dir/name. Names that whiten nothing or a dot entry (`.wh.`, `.wh..`,
 * `.wh...`) would turn into '.', '..' or the parent itself, so they are refused (umoci
 * TestUnpackEntryWhiteout), as is any other `.wh..wh.` name (AUFS metadata no layer should carry).
 */
export function whiteoutOf(rel: string, name: string): Whiteout | null {
  const base = baseOf(rel);
  if (!base.startsWith(WHITEOUT_PREFIX)) return null;
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: parentOf(rel) };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..') {
    throw badArchive(`entry ${quote(name)}: invalid whiteout ${quote(base)} (it names no file)`);
  }
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
    throw badArchive(`entry ${quote(name)}: invalid whiteout ${quote(base)} (only ${OPAQUE_MARKER} may start with .wh..wh.)`);
  }
  return { kind: 'delete', target: joinRel(parentOf(rel), target) };
}
