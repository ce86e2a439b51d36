// Bounds on what one imported layer may cost. A tar is a program the helper runs as root: without
// bounds a few kilobytes of gzip expand into endless entries, an endless PAX header held in memory,
// or a path deeper than anything can open (containers/storage tests/apply-junk.bats; the tar-stream
// fixtures). The defaults are generous for real images and still finite.
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export interface ImportLimits {
  /** Entries in the tar (files, dirs, links, whiteouts...), not counting PAX/GNU meta headers. */
  maxEntries: number;
  /** Bytes of one PAX or GNU long-name header, and of all of them before one entry together. */
  maxHeaderBytes: number;
  /** Bytes of one entry's path (and of a link's target). */
  maxPathBytes: number;
  /** Components of one entry's path. */
  maxDepth: number;
  /** Bytes of the uncompressed tar stream (the engine lowers it to what the store's disk has free). */
  maxTotalBytes: number;
  /**
   * How many times larger than its gzip stream a tar may be (0: no limit). Real layers compress 2-10
   * times; a gzip bomb (a few MB of zeros' worth of compressed data) thousands of times.
   */
  maxCompressionRatio: number;
}

/** The ratio is judged only past this many uncompressed bytes: a small tar of zeros is no threat. */
export const RATIO_FLOOR_BYTES = 64 * 1024 * 1024;

// A debootstrap of Debian 12 is 6768 entries and 204 MB; the largest common image layers (CUDA,
// big node_modules trees) run to a few hundred thousand entries and several GB. Real PAX headers
// are under a kilobyte (a long name, a few xattrs); PATH_MAX is 4096 and the layer dir's own path
// must fit in front of an entry's path, since Node opens files by whole path.
export const DEFAULT_LIMITS: ImportLimits = Object.freeze({
  maxEntries: 1_000_000,
  maxHeaderBytes: 1024 * 1024,
  maxPathBytes: 3072,
  maxDepth: 128,
  maxTotalBytes: 32 * 1024 ** 3,
  maxCompressionRatio: 100,
});

export function resolveLimits(partial?: Partial<ImportLimits>): ImportLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    const least = key === 'maxCompressionRatio' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least) {
      throw new StrataError(ErrorCode.InvalidParams, `import limit ${key} must be an integer of at least ${least}, not ${value}`);
    }
  }
  return limits;
}

export function limitExceeded(message: string): StrataError {
  return new StrataError(ErrorCode.LimitExceeded, message);
}

export function badArchive(message: string, cause?: unknown): StrataError {
  return new StrataError(ErrorCode.BadArchive, message, cause === undefined ? undefined : { cause });
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
