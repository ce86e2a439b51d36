// The one place where the protocol's types become Docker's inspect documents: Docker's field names
// and nesting for what Strata has (docker inspect of an image or a container, API 1.41), nothing
// for what it has not (no invented values), and Strata's own facts (layer folders, chain ids)
// under a "Strata" key. The CLI's inspect prints these; the extension's Inspect is to show the same.
// Go's typed nils (an unset Env prints [] in a template, null in JSON) are template/values.ts's.
import type { ContainerDetail, ImageConfigBody, ImageDetail, LayerInfo } from '../protocol/types';
import { goMap, nilMap, nilSlice } from './template';

/** Go's zero time, which Docker shows for a time that never was (StartedAt of a created container). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
/** The graph driver Strata stores layers with: plain folders, mounted with the kernel's overlayfs. */
export const GRAPH_DRIVER = 'overlay';

const list = (v: string[] | null | undefined) => (v ? [...v] : nilSlice);
const labels = (v: Record<string, string> | undefined) => (v ? goMap({ ...v }, '') : nilMap);

/**
 * An image's container config as Docker shows it, for the fields an OCI image config has: the
 * ones Strata keeps (User, Env, Cmd, WorkingDir, Entrypoint, Labels) always, at their zero value
 * when unset as Docker shows them; any other OCI field present (ExposedPorts, Volumes, StopSignal)
 * as it is, in Docker's order.
 */
export function imageConfig(c: ImageConfigBody): Record<string, unknown> {
  const extra = c as Record<string, unknown>;
  const out: Record<string, unknown> = { User: c.User ?? '' };
  if (extra.ExposedPorts !== undefined) out.ExposedPorts = goMap({ ...(extra.ExposedPorts as object) });
  out.Env = list(c.Env);
  out.Cmd = list(c.Cmd);
  if (extra.Volumes !== undefined) out.Volumes = goMap({ ...(extra.Volumes as object) });
  out.WorkingDir = c.WorkingDir ?? '';
  out.Entrypoint = list(c.Entrypoint);
  out.Labels = labels(c.Labels);
  if (extra.StopSignal !== undefined) out.StopSignal = extra.StopSignal;
  return out;
}

/** Where overlayfs reads an image or container: its top folder, and the ones below, top first. */
function graphDriver(upper: string, lowers: string[]): Record<string, unknown> {
  const data: Record<string, string> = {};
  if (lowers.length) data.LowerDir = lowers.join(':');
  data.UpperDir = upper;
  return { Data: goMap(data, ''), Name: GRAPH_DRIVER };
}

/** A layer as Strata's own part of an inspect document. */
export function layerInspect(l: LayerInfo): Record<string, unknown> {
  return {
    Id: l.id, Parent: l.parent ?? '', DiffId: l.diffId, Size: l.size, Created: l.created, CreatedBy: l.createdBy, Comment: l.comment, Path: l.path,
    Tar: l.tar, ...(l.tarVerified === undefined ? {} : { TarVerified: l.tarVerified }), ...(l.tarProblem === undefined ? {} : { TarProblem: l.tarProblem }),
  };
}

/** docker image inspect. */
export function imageInspect(d: ImageDetail): Record<string, unknown> {
  const history = d.config.history ?? [];
  const top = d.layers[d.layers.length - 1];
  const paths = d.layers.map((l) => l.path).reverse();
  return {
    Id: d.id,
    RepoTags: [...d.repoTags].sort(),
    RepoDigests: [],
    Comment: history.length ? history[history.length - 1].comment ?? '' : '',
    Created: d.config.created,
    Author: d.config.author ?? '',
    Config: imageConfig(d.config.config ?? {}),
    Architecture: d.config.architecture,
    Os: d.config.os,
    Size: d.size,
    ...(top ? { GraphDriver: graphDriver(paths[0], paths.slice(1)) } : {}),
    RootFS: { Type: 'layers', Layers: [...d.config.rootfs.diff_ids] },
    Strata: { Layers: d.layers.map(layerInspect) },
  };
}

/** KEY=VALUE lists merged by key, later ones winning, in first-seen order (the image's, then the container's). */
function mergeEnv(base: string[], own: string[]): string[] {
  const byKey = new Map<string, string>();
  for (const e of [...base, ...own]) byKey.set(e.split('=')[0], e);
  return [...byKey.values()];
}

/** What Docker keeps as a container's Config: the image's config with the run options over it. */
function containerConfig(c: ContainerDetail, image: ImageDetail | undefined): Record<string, unknown> {
  const o = c.options;
  const ic = image?.config.config ?? {};
  const entrypoint = o.entrypoint !== undefined ? (o.entrypoint === '' ? null : [o.entrypoint]) : ic.Entrypoint ?? null;
  // Docker: a new entrypoint drops the image's Cmd; otherwise the command given, else the image's.
  const cmd = o.cmd ?? (o.entrypoint !== undefined ? null : ic.Cmd ?? null);
  return {
    Hostname: c.hostname,
    User: o.user ?? ic.User ?? '',
    Tty: c.tty,
    OpenStdin: o.openStdin,
    // No variables from the image nor the run: a nil list, as Docker keeps it.
    Env: ic.Env == null && o.env.length === 0 ? nilSlice : list(mergeEnv(ic.Env ?? [], o.env)),
    Cmd: list(cmd),
    Image: c.image,
    WorkingDir: o.workdir ?? ic.WorkingDir ?? '',
    Entrypoint: list(entrypoint),
    // A container's labels are a map, empty when none (the image's may be nil); --label over the image's.
    Labels: goMap({ ...(ic.Labels ?? {}), ...(o.labels ?? {}) }, ''),
    ...(o.stopSignal ?? ic.StopSignal ? { StopSignal: o.stopSignal ?? ic.StopSignal } : {}),
    ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
  };
}

/** HostConfig in Docker's field order (moby's HostConfig struct, Resources inside it, Init last),
 *  with Docker's values when a flag is absent. */
function hostConfig(c: ContainerDetail): Record<string, unknown> {
  const o = c.options;
  const policy = o.restartPolicy ?? { name: 'no', maximumRetryCount: 0 };
  return {
    NetworkMode: o.network,
    RestartPolicy: { Name: policy.name, MaximumRetryCount: policy.maximumRetryCount },
    AutoRemove: o.autoRemove,
    CapAdd: o.capAdd?.length ? [...o.capAdd] : nilSlice,
    CapDrop: o.capDrop?.length ? [...o.capDrop] : nilSlice,
    ExtraHosts: o.extraHosts?.length ? [...o.extraHosts] : nilSlice,
    // Strata sets no_new_privs unless told not to; Docker lists the option only when given.
    SecurityOpt: o.noNewPrivileges === false ? ['no-new-privileges=false'] : ['no-new-privileges'],
    CpuShares: o.cpuShares ?? 0,
    Memory: o.memory ?? 0,
    NanoCpus: o.nanoCpus ?? 0,
    ...(o.pidsLimit !== undefined ? { PidsLimit: o.pidsLimit } : {}),
    Ulimits: (o.ulimits ?? []).map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })),
    ...(o.init !== undefined ? { Init: o.init } : {}),
  };
}

/** docker container inspect; image, when given, is the container's image (its config, its layer folders). */
export function containerInspect(c: ContainerDetail, image?: ImageDetail): Record<string, unknown> {
  const sameLayers = image && image.layers.map((l) => l.id).join() === c.layers.join();
  return {
    Id: c.id,
    Created: c.created,
    Path: c.command[0] ?? '',
    Args: c.command.slice(1),
    State: {
      Status: c.status === 'running' && c.paused ? 'paused' : c.status,
      Running: c.status === 'running',
      Paused: c.paused,
      Restarting: false,
      Dead: false,
      Pid: c.pid ?? 0,
      ExitCode: c.exitCode ?? 0,
      StartedAt: c.startedAt ?? ZERO_TIME,
      FinishedAt: c.finishedAt ?? ZERO_TIME,
    },
    Image: c.imageId,
    Name: `/${c.name}`,
    RestartCount: c.restartCount ?? 0,
    Driver: GRAPH_DRIVER,
    Platform: 'linux',
    HostConfig: hostConfig(c),
    GraphDriver: graphDriver(c.upperDir, sameLayers ? image.layers.map((l) => l.path).reverse() : []),
    Mounts: [],
    Config: containerConfig(c, image),
    Strata: { UpperDir: c.upperDir, Layers: [...c.layers] },
  };
}
