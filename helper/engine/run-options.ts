// What the engine decides about a container's run options beyond their types (the protocol's schema
// checks those): which capabilities may be added, what the final capability set is, whether a
// --ulimit, --add-host or --cpus value makes sense. Every refusal is an InvalidParams error whose
// message says why, checked at create (and again at start, for records written by older helpers).
import { isIP } from 'node:net';
import os from 'node:os';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ContainerOptions } from '../protocol/types';

/** Linux's capabilities by number (linux/capability.h). */
export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** Docker's default set without MKNOD: the shim's DEFAULT_CAPS (native/shim.h, native/caps.c). */
export const DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'AUDIT_WRITE', 'SETFCAP'];

/**
 * Capabilities --cap-add refuses, and why. A Strata container's root is the host's root in the
 * host's user namespace (no user namespace): a capability it holds acts on the host's kernel,
 * except where a namespace of its own confines it (its network, mounts, pids, hostname). These act
 * on what no namespace confines, or open a way out of the ones it has; the seccomp filter refuses
 * many of their syscalls as well, but the capability is the first line, and the message says why.
 */
export const REFUSED_CAPABILITIES: Record<string, string> = {
  SYS_ADMIN: 'it allows mount, new namespaces and most of the kernel\'s administration: the container could mount the host\'s disks',
  SYS_MODULE: 'it loads code into the host\'s kernel',
  SYS_RAWIO: 'it gives raw access to the host\'s memory and I/O ports',
  SYS_PTRACE: 'it traces any process the container sees, including the runtime\'s own processes while they join it with every capability (exec) and the --init reaper',
  DAC_READ_SEARCH: 'open_by_handle_at opens any file of the host\'s file systems by its handle (the "shocker" escape)',
  SYS_BOOT: 'kexec_load replaces the host\'s kernel',
  MAC_ADMIN: 'it changes the host\'s security module policy',
  MAC_OVERRIDE: 'it bypasses the host\'s security module policy',
  MKNOD: 'Strata has no device cgroup: a device node made in the container\'s /dev would open the host\'s disks',
  BPF: 'it loads BPF programs into the host\'s kernel, which can read the host\'s memory',
  PERFMON: 'it traces the host\'s processes and kernel',
  SYSLOG: 'it reads and clears the host\'s kernel log, which shows the kernel\'s addresses',
  SYS_TIME: 'it sets the host\'s clock (time has no namespace here)',
  AUDIT_CONTROL: 'it changes the host\'s audit rules',
  AUDIT_READ: 'it reads the host\'s audit log',
  SYS_PACCT: 'it turns on process accounting for the whole host',
};

/** NET_ADMIN acts on the network namespace: the container's own with --network none, the host's with host. */
const NET_ADMIN_HOST = 'with --network host it changes the host\'s interfaces, routes and firewall (with --network none it acts on the container\'s own network only)';

function invalid(message: string): StrataError {
  return new StrataError(ErrorCode.InvalidParams, message);
}

/** Docker's spelling: any case, with or without CAP_; ALL. Returns the bare name. */
export function capabilityName(name: string, allowAll: boolean): string {
  const bare = name.toUpperCase().replace(/^CAP_/, '');
  if (bare === 'ALL' && allowAll) return 'ALL';
  if (!(CAPABILITIES as readonly string[]).includes(bare)) throw invalid(`invalid capability: ${name}: unknown capability: "CAP_${bare}"`);
  return bare;
}

/** The final set as the shim's mask (bounding, permitted, effective): default, minus drops, plus adds. */
export function capabilityMask(o: Pick<ContainerOptions, 'capAdd' | 'capDrop' | 'network'>): bigint {
  const set = new Set<string>(DEFAULT_CAPABILITIES);
  const drops = (o.capDrop ?? []).map((c) => capabilityName(c, true));
  if (drops.includes('ALL')) set.clear();
  for (const c of drops) set.delete(c);
  for (const raw of o.capAdd ?? []) {
    const c = capabilityName(raw, true);
    if (c === 'ALL') throw invalid('--cap-add ALL is refused: it would add SYS_ADMIN and the other capabilities that hand the host to the container (strata run --help lists them)');
    const why = REFUSED_CAPABILITIES[c] ?? (c === 'NET_ADMIN' && o.network === 'host' ? NET_ADMIN_HOST : undefined);
    if (why) throw invalid(`--cap-add ${c} is refused: ${why}`);
    set.add(c);
  }
  let mask = 0n;
  for (const c of set) mask |= 1n << BigInt(CAPABILITIES.indexOf(c as (typeof CAPABILITIES)[number]));
  return mask;
}

/** The checks on what the schema cannot see alone: relations between values, and the host's CPUs. */
export function checkRunOptions(o: ContainerOptions): void {
  capabilityMask(o); // throws for a refused or unknown capability
  for (const u of o.ulimits ?? []) {
    const unlimited = (n: number) => n === -1;
    if (!unlimited(u.hard) && (unlimited(u.soft) || u.soft > u.hard)) {
      throw invalid(`invalid ulimit argument: ${u.name}=${u.soft}:${u.hard}: soft limit must be less than or equal to hard limit`);
    }
  }
  for (const h of o.extraHosts ?? []) {
    const colon = h.indexOf(':');
    if (!isIP(h.slice(colon + 1))) throw invalid(`invalid argument "${h}" for "--add-host" flag: invalid IP address in add-host: "${h.slice(colon + 1)}"`);
  }
  const cpus = os.cpus().length;
  if (o.nanoCpus !== undefined && o.nanoCpus > cpus * 1e9) {
    throw invalid(`Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  if (o.restartPolicy && o.autoRemove && o.restartPolicy.name !== 'no') {
    throw invalid('Conflicting options: --restart and --rm');
  }
  if (o.restartPolicy && o.restartPolicy.name !== 'on-failure' && o.restartPolicy.maximumRetryCount > 0) {
    throw invalid(`maximum retry count cannot be used with restart policy '${o.restartPolicy.name}'`);
  }
}
