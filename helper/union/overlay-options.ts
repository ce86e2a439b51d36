// The overlay mount's option string, built here and only here: the shim mounts with exactly what it
// is given (--overlay-data), so what Strata mounts has one definition, and a chain that cannot fit
// is refused with a clear LimitExceeded before any process starts.
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

/** The kernel copies mount options as one page, terminating NUL included. */
export const OVERLAY_OPTIONS_MAX = 4095;

/** Options that keep the upper dir a faithful diff: no redirects, no metadata-only copy-ups, no
 *  index of hard links pointing into lower layers (docs/layers.md, "Commit"). */
export const FAITHFUL_DIFF_OPTIONS = 'redirect_dir=off,metacopy=off,index=off';

export interface OverlayDirs {
  lower: string; // colon-separated, top-most first
  upper: string;
  work: string;
}

// ',' separates mount options and ':' separates lower dirs; a path with either would be misread.
const UNSAFE = /[,:\\\n\0]/;

export function overlayMountData(dirs: OverlayDirs): string {
  for (const [what, path] of [['upper', dirs.upper], ['work', dirs.work]] as const) {
    if (UNSAFE.test(path)) throw new StrataError(ErrorCode.InvalidParams, `overlay ${what} dir ${JSON.stringify(path)} contains , : or \\`);
  }
  for (const lower of dirs.lower.split(':')) {
    if (!lower || UNSAFE.test(lower)) throw new StrataError(ErrorCode.InvalidParams, `bad overlay lower dir ${JSON.stringify(lower)}`);
  }
  const data = `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work},${FAITHFUL_DIFF_OPTIONS}`;
  const bytes = Buffer.byteLength(data);
  if (bytes > OVERLAY_OPTIONS_MAX) {
    throw new StrataError(
      ErrorCode.LimitExceeded,
      `overlay options are ${bytes} bytes; the kernel takes at most ${OVERLAY_OPTIONS_MAX} (fewer layers or a shorter store path)`,
    );
  }
  return data;
}
