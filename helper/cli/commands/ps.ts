// strata ps (container ls): Docker's columns, --format templates and its json rows.
import { formatFlag, helpFlag, UsageError } from '../args';
import { bool, type Command, type CommandContext, list, str } from '../command';
import { renderList } from '../docker-format';
import { CONTAINER_LIST, type ContainerExtras, containerRow } from '../docker-rows';
import { CONTAINER_FILTERS, containerMatches, parseFilters } from '../filters';
import type { ContainerSummary } from '../../protocol/types';

/** Sizes and networks cost a request: fetched only when the template reads them, as Docker asks
 *  the daemon for sizes only then. A first run over one row finds out. */
async function extrasFor(ctx: CommandContext, format: string | undefined, found: ContainerSummary[], trunc: boolean, withImage: boolean): Promise<ContainerExtras> {
  const wanted = new Set<string>();
  const probe: ContainerExtras = { size: () => { wanted.add('size'); return 0; }, network: () => { wanted.add('network'); return ''; } };
  try { renderList(format, CONTAINER_LIST, found.slice(0, 1).map((c) => containerRow(c, trunc, probe))); } catch { /* reported by the real run */ }
  const client = await ctx.client();
  const sizes = new Map<string, number>();
  const imageSizes = new Map<string, number>();
  if (wanted.has('size')) {
    const df = await client.request('system.df', {});
    for (const c of df.containers) sizes.set(c.id, c.size);
    for (const i of df.images) imageSizes.set(i.id, i.size);
  }
  const networks = new Map<string, string>();
  if (wanted.has('network')) {
    for (const c of found) networks.set(c.id, (await client.request('container.inspect', { id: c.id })).options.network);
  }
  const imageOf = new Map(found.map((c) => [c.id, c.imageId]));
  return {
    size: (id) => sizes.get(id) ?? 0,
    // Docker counts the size with the image's (SizeRootFs) only when -s asks for sizes
    ...(withImage ? { virtualSize: (id: string) => (sizes.get(id) ?? 0) + (imageSizes.get(imageOf.get(id) ?? '') ?? 0) } : {}),
    network: (id) => networks.get(id) ?? '',
  };
}

export const ps: Command = {
  spec: {
    name: 'ps', usage: '[OPTIONS]', summary: 'List containers',
    flags: [
      { long: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
      { long: 'filter', short: 'f', kind: 'list', value: 'filter', help: `Filter output based on conditions provided (${CONTAINER_FILTERS.join(', ')}: e.g. status=exited)` },
      formatFlag,
      { long: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { long: 'quiet', short: 'q', kind: 'bool', help: 'Only display container IDs' },
      { long: 'last', short: 'n', kind: 'string', value: 'int', help: 'Show n last created containers (includes all states) (default -1)' },
      { long: 'latest', short: 'l', kind: 'bool', help: 'Show the latest created container (includes all states)' },
      { long: 'size', short: 's', kind: 'bool', help: 'Display total file sizes (SIZE: its changes, and with its image)' },
      helpFlag,
    ],
    maxArgs: 0,
  },
  async run(ctx) {
    const filters = parseFilters(list(ctx, 'filter'), CONTAINER_FILTERS);
    const lastFlag = str(ctx, 'last');
    if (lastFlag !== undefined && !/^-?\d+$/.test(lastFlag)) throw new UsageError(`invalid argument "${lastFlag}" for "-n, --last" flag: strconv.ParseInt: parsing "${lastFlag}": invalid syntax`);
    const last = bool(ctx, 'latest') ? 1 : lastFlag === undefined ? -1 : Number(lastFlag);
    // As Docker: a status or exited filter, -n and -l look at every container, not just the running ones.
    const all = bool(ctx, 'all') || filters.has('status') || filters.has('exited') || last > 0;
    let found = (await (await ctx.client()).request('containers.list', { all }))
      .filter((c) => containerMatches(c, filters))
      .sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
    if (last > 0) found = found.slice(0, last);
    let format = str(ctx, 'format');
    // -s: Docker adds SIZE to its default table
    if (bool(ctx, 'size') && (format === undefined || format === 'table')) format = `${CONTAINER_LIST.defaultTable}\t{{.Size}}`;
    if (bool(ctx, 'quiet')) {
      if (format !== undefined && format !== 'table') ctx.err('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
      format = '{{.ID}}';
    }
    const trunc = !bool(ctx, 'no-trunc');
    const extras = await extrasFor(ctx, format, found, trunc, bool(ctx, 'size'));
    ctx.out(renderList(format, CONTAINER_LIST, found.map((c) => containerRow(c, trunc, extras))));
    return 0;
  },
};
