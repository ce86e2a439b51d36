// The rows Docker's list commands format (docker/cli formatter contexts): ps, images, history,
// stats and system df, built from the protocol's types with Docker's field names and values,
// each with its table header names and default table format. `--format json` and {{json .}}
// print a row as one object per line, keys sorted, as Docker's MarshalJSON does.
import type { ContainerStats, ContainerSummary, DiskUsage, HistoryEntry, ImageSummary } from '../protocol/types';
import { ago, bytesSize, duration, goTimeString, humanSize, rfc3339, short, truncate, unixSeconds } from './format';
import { goMap, goQuote, goStruct } from './template';

export interface ListKind {
  defaultTable: string;
  /** Column names for the header row: field name -> name (SubHeaderContext). */
  header: Record<string, string>;
}

/** A row: Docker's fields in key order (json), its Go type named for error messages. */
function row(typeName: string, fields: Record<string, unknown>, hidden: Record<string, unknown> = {}): Record<string, unknown> {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(fields).sort()) Object.defineProperty(sorted, k, { ...Object.getOwnPropertyDescriptor(fields, k)!, enumerable: true });
  // Strata's own fields: usable in a template, not part of Docker's JSON.
  for (const [k, v] of Object.entries(hidden)) Object.defineProperty(sorted, k, { value: v, enumerable: false });
  return goStruct(sorted, typeName, true);
}

export const CONTAINER_LIST: ListKind = {
  defaultTable: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}',
  header: {
    ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
    Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS',
    LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
  },
};

/** The daemon's Command of a container: its path, then its arguments, those with a space in single quotes. */
export function commandLine(argv: string[]): string {
  return argv.map((a, i) => (i > 0 && a.includes(' ') ? `'${a}'` : a)).join(' ');
}

/** The daemon's State.String(). */
export function containerStatus(c: ContainerSummary, now = Date.now()): string {
  if (c.status === 'running' && c.startedAt) return `Up ${duration(c.startedAt, now)}${c.paused ? ' (Paused)' : ''}`;
  if (c.status === 'exited' && c.finishedAt) return `Exited (${c.exitCode}) ${duration(c.finishedAt, now)} ago`;
  if (c.status === 'exited') return '';
  return 'Created';
}

export function containerState(c: ContainerSummary): string {
  return c.status === 'running' && c.paused ? 'paused' : c.status;
}

/** The image a container was made from, as ps shows it: an id given is shortened, a name kept. */
function containerImage(c: ContainerSummary, trunc: boolean): string {
  if (!trunc) return c.image;
  const shortImage = short(c.image);
  return shortImage === short(c.imageId) ? shortImage : c.image;
}

/** What ps fetches only when a template uses it (Docker asks the daemon for sizes the same way). */
export interface ContainerExtras {
  size(id: string): number;
  /** Its size with its image's (Docker's SizeRootFs): SIZE then reads "1B (virtual 1.2MB)". */
  virtualSize?(id: string): number;
  network(id: string): string;
}

/** Docker's Labels column: k=v joined by commas (a map's order: sorted). */
function labelsColumn(labels: Record<string, string> | undefined): string {
  return Object.keys(labels ?? {}).sort().map((k) => `${k}=${labels![k]}`).join(',');
}

export function containerRow(c: ContainerSummary, trunc: boolean, extras: ContainerExtras): Record<string, unknown> {
  const command = commandLine(c.command);
  return row('*formatter.ContainerContext', {
    Command: goQuote(trunc ? truncate(command, 20) : command),
    CreatedAt: goTimeString(c.created),
    ID: trunc ? c.id.slice(0, 12) : c.id,
    Image: containerImage(c, trunc),
    Labels: labelsColumn(c.labels),
    LocalVolumes: '0',
    Mounts: '',
    Names: c.name,
    get Networks() { return extras.network(c.id); },
    Platform: null,
    Ports: '',
    RunningFor: ago(c.created),
    get Size() {
      const size = extras.size(c.id);
      const virtual = extras.virtualSize?.(c.id);
      return virtual ? `${humanSize(size)} (virtual ${humanSize(virtual)})` : humanSize(size);
    },
    State: containerState(c),
    Status: containerStatus(c),
  }, { Label: (name: unknown) => (typeof name === 'string' ? c.labels?.[name] ?? '' : '') });
}

export const IMAGE_LIST: ListKind = {
  defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}',
  header: {
    ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
    Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'VIRTUAL SIZE',
  },
};

/** One row per name of the image (repository and tag apart), or one <none> row when it has none. */
export function imageRows(img: ImageSummary, trunc: boolean, tags = img.repoTags): Record<string, unknown>[] {
  const names = tags.length ? [...tags].sort() : ['<none>:<none>'];
  return names.map((t) => {
    const colon = t.lastIndexOf(':');
    return row('*formatter.imageContext', {
      Containers: 'N/A',
      CreatedAt: goTimeString(img.created),
      CreatedSince: ago(img.created),
      Digest: '<none>',
      ID: trunc ? short(img.id) : img.id,
      Repository: t.slice(0, colon),
      SharedSize: 'N/A',
      Size: humanSize(img.size),
      Tag: t.slice(colon + 1),
      UniqueSize: 'N/A',
      VirtualSize: humanSize(img.size, 4),
    });
  });
}

export const HISTORY_LIST: ListKind = {
  defaultTable: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
  header: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT', Layer: 'LAYER' },
};

/** Times at or before 2000 are no real build time (a zeroed or missing one): docker history says N/A. */
const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

/**
 * A history row. ID is Docker's IMAGE column: the id of the local image whose top layer this row
 * made (imageId), or <missing>; Layer (Strata's, not in the JSON) is the layer's own chain id.
 */
export function historyRow(e: HistoryEntry, imageId: string | undefined, trunc: boolean, human: boolean): Record<string, unknown> {
  const createdBy = e.createdBy.replace(/\t/g, ' ');
  const createdAt = rfc3339(e.created);
  const layer = e.id === '<missing>' ? '<missing>' : trunc ? short(e.id) : e.id;
  return row('*image.historyContext', {
    Comment: e.comment,
    CreatedAt: createdAt,
    CreatedBy: trunc ? truncate(createdBy, 45) : createdBy,
    CreatedSince: !human ? createdAt : unixSeconds(e.created) <= EPOCH_2000 ? 'N/A' : ago(e.created),
    ID: imageId === undefined ? '<missing>' : trunc ? short(imageId) : imageId,
    Size: human ? humanSize(e.size) : String(e.size),
  }, { Layer: layer });
}

export const STATS_LIST: ListKind = {
  // Docker's columns
  defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}',
  header: { Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' },
};

/** Docker's "1.2kB / 0B": HumanSizeWithPrecision(3) each; what is not counted is 0B, as Docker shows a host-network container. */
function ioPair(a: number | null | undefined, b: number | null | undefined): string {
  return `${humanSize(a ?? 0)} / ${humanSize(b ?? 0)}`;
}

/** A stats row: cpuPercent over the last interval; a container without a memory limit is held to the host's memory. */
export function statsRow(s: ContainerStats, ref: string, cpuPercent: number, hostMemory: number, trunc: boolean): Record<string, unknown> {
  const limit = s.memoryLimit ?? hostMemory;
  return row('*container.statsContext', {
    CPUPerc: `${cpuPercent.toFixed(2)}%`,
    Container: ref,
    ID: trunc ? s.id.slice(0, 12) : s.id,
    MemPerc: s.memoryBytes === null ? '--' : `${((s.memoryBytes / limit) * 100).toFixed(2)}%`,
    MemUsage: s.memoryBytes === null ? '-- / --' : `${bytesSize(s.memoryBytes)} / ${bytesSize(limit)}`,
    Name: s.name,
    NetIO: ioPair(s.netRx, s.netTx),
    BlockIO: ioPair(s.blockRead, s.blockWrite),
    PIDs: s.pids === null ? '--' : String(s.pids),
  });
}

export const DISK_USAGE_LIST: ListKind = {
  defaultTable: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
  header: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
};

/** system df's summary: images and containers (Strata has no volumes and no build cache). */
export function diskUsageRows(df: DiskUsage): Record<string, unknown>[] {
  const typeNames = { images: ['Images', '*formatter.diskUsageImagesContext'], containers: ['Containers', '*formatter.diskUsageContainersContext'] } as const;
  return (['images', 'containers'] as const).map((kind) => {
    const t = df.totals[kind];
    return row(typeNames[kind][1], {
      Active: String(t.active),
      Reclaimable: t.size > 0 ? `${humanSize(t.reclaimable, 4)} (${Math.trunc((t.reclaimable * 100) / t.size)}%)` : humanSize(t.reclaimable, 4),
      Size: humanSize(t.size, 4),
      TotalCount: String(t.count),
      Type: typeNames[kind][0],
    });
  });
}

/** The header row's data: a Go map of field name to column name. */
export function headerData(kind: ListKind): Record<string, string> {
  return goMap({ ...kind.header }, '');
}
