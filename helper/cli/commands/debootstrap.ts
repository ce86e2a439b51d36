// `strata debootstrap [OPTIONS] SUITE [NAME[:TAG]]`: the helper runs Debian's debootstrap into its
// store and imports the result as an image; this shows its progress (one live line on a terminal,
// plain lines when piped, on stderr so that stdout is the image id) and cancels it on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { ErrorCode } from '../../protocol/errors';
import { StrataRequestError } from '../../protocol/client';
import type { Notifications } from '../../protocol/methods';
import { helpFlag, UsageError } from '../args';
import { bool, type Command, str } from '../command';

const VARIANTS = ['minbase', 'buildd', 'fakechroot', '-'] as const;
type Variant = (typeof VARIANTS)[number];

function commaList(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((v) => v.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

/** "configuring 40/88: Configuring libc6..." */
export function progressLine(p: Notifications['progress']): string {
  const count = p.total ? ` ${p.done ?? 0}/${p.total}` : '';
  return `${p.stage ?? 'debootstrap'}${count}: ${p.message}`;
}

/** Writes progress to stderr: rewrites one line on a terminal, one line per event otherwise. */
function progressWriter(err: (text: string) => void): { show(line: string): void; done(): void } {
  const live = process.stderr.isTTY === true;
  let shown = false;
  return {
    show(line) {
      if (!live) return err(`${line}\n`);
      const width = Math.max(20, (process.stderr.columns || 80) - 1);
      err(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
      shown = true;
    },
    done() {
      if (shown) err('\r\x1b[K');
      shown = false;
    },
  };
}

export const debootstrap: Command = {
  spec: {
    name: 'debootstrap', usage: '[OPTIONS] SUITE [NAME[:TAG]]',
    summary: "Create an image with Debian's debootstrap (default name: the suite)",
    flags: [
      { long: 'variant', kind: 'string', value: 'VARIANT', help: 'minbase (default), buildd, or - for the default set (required and important); fakechroot is refused (not a root fs for a container)' },
      { long: 'mirror', kind: 'string', value: 'URL', help: 'http:// or https:// Debian mirror (default http://deb.debian.org/debian)' },
      { long: 'include', kind: 'string', value: 'PKGS', help: 'Also install these packages (comma-separated)' },
      { long: 'components', kind: 'string', value: 'C,...', help: 'Archive components (default main)' },
      { long: 'keep-cache', kind: 'bool', help: "Keep the downloaded .debs in the image's /var/cache/apt/archives" },
      helpFlag,
    ],
    minArgs: 1, maxArgs: 2,
    notes: [
      "The .debs are kept in the store (cache/debootstrap/SUITE-ARCH), so the next run of a suite downloads none.",
      'Example:  sudo strata debootstrap bookworm deb12 && sudo strata run -it deb12',
    ],
  },
  async run(ctx) {
    const [suite, name = suite] = ctx.args;
    const variant = (str(ctx, 'variant') ?? 'minbase') as Variant;
    if (!VARIANTS.includes(variant)) throw new UsageError(`--variant must be one of ${VARIANTS.join(', ')}`);
    const client = await ctx.client();
    const progressToken = randomBytes(16).toString('hex');
    const out = progressWriter(ctx.err);
    const sub = client.on('progress', (p) => { if (p.token === progressToken) out.show(progressLine(p)); });
    // Ctrl-C cancels the request ($/cancelRequest): the helper kills debootstrap and keeps nothing.
    // A second one leaves at once (the helper cancels what a closed connection asked for).
    const cancel = new CancellationTokenSource();
    const onInt = () => {
      if (cancel.token.isCancellationRequested) process.exit(130);
      out.show('cancelling (Ctrl-C again to leave now)');
      cancel.cancel();
    };
    process.on('SIGINT', onInt);
    try {
      const r = await client.request('image.debootstrap', {
        suite, name, variant, mirror: str(ctx, 'mirror'), include: commaList(str(ctx, 'include')),
        components: commaList(str(ctx, 'components')), keepCache: bool(ctx, 'keep-cache'), progressToken,
      }, cancel.token);
      out.done();
      ctx.err(`debootstrap ${suite}: ${r.packages} packages, ${r.downloaded} downloaded, ${r.packages - r.downloaded} from the cache; tagged ${name}\n`);
      ctx.out(`${r.id}\n`);
      return 0;
    } catch (err) {
      out.done();
      if (err instanceof StrataRequestError && err.code === ErrorCode.Cancelled) {
        ctx.err(`strata debootstrap: ${err.message}\n`);
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onInt);
      sub.dispose();
      cancel.dispose();
    }
  },
};
