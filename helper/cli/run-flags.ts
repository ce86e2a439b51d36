// The run/create flags of issue 13, parsed with Docker's syntax and Docker's error words: a value
// the flag parser (pflag) would refuse is a UsageError ("invalid argument ... for ... flag", 125,
// with the usage line); what Docker's run code refuses is "strata: ..." and 125. What the values
// mean (which capabilities may be added, whether an IP is one) the engine decides again: a
// client is not trusted (engine/run-options.ts).
import { readFileSync } from 'node:fs';
import { UsageError, type FlagSpec } from './args';
import { bool, type CommandContext, CommandError, list, str } from './command';
import { ULIMIT_NAMES, type ContainerOptions, type RestartPolicy, type UlimitName } from '../protocol/types';

export const runFlags: FlagSpec[] = [
  { long: 'env-file', kind: 'list', value: 'list', help: 'Read in a file of environment variables (KEY=VALUE lines; KEY alone copies it from here; # comments)' },
  { long: 'label', short: 'l', kind: 'list', value: 'list', help: 'Set meta data on a container (KEY=VALUE)' },
  { long: 'cidfile', kind: 'string', value: 'string', help: 'Write the container ID to the file (which must not exist)' },
  { long: 'stop-signal', kind: 'string', value: 'string', help: "Signal to stop the container (default: the image's STOPSIGNAL, else SIGTERM)" },
  { long: 'stop-timeout', kind: 'string', value: 'int', help: 'Timeout (in seconds) to stop a container (default 10)' },
  { long: 'init', kind: 'bool', help: 'Run an init inside the container that forwards signals and reaps processes' },
  { long: 'add-host', kind: 'list', value: 'list', help: 'Add a custom host-to-IP mapping (host:ip)' },
  { long: 'ulimit', kind: 'list', value: 'ulimit', help: 'Ulimit options (NAME=SOFT[:HARD], -1 for unlimited)' },
  { long: 'cpus', kind: 'string', value: 'decimal', help: 'Number of CPUs (CFS quota over a 100 ms period)' },
  { long: 'cpu-shares', short: 'c', kind: 'string', value: 'int', help: 'CPU shares (relative weight)' },
  { long: 'security-opt', kind: 'list', value: 'list', help: 'Security Options: only no-new-privileges[=true|false] (Strata sets it by default; Docker does not)' },
  { long: 'cap-add', kind: 'list', value: 'list', help: 'Add Linux capabilities (refused: those that hand the host over, see below)' },
  { long: 'cap-drop', kind: 'list', value: 'list', help: 'Drop Linux capabilities (any, or ALL)' },
  { long: 'restart', kind: 'string', value: 'string', help: 'Restart policy to apply when a container exits: no, on-failure[:N], always, unless-stopped (default "no")' },
  { long: 'pull', kind: 'string', value: 'string', help: 'Pull image before running ("always", "missing", "never"): Strata has no registry yet, so only missing and never' },
];

/** Notes for `strata run --help`: the capabilities --cap-add refuses. */
export const runFlagNotes = [
  '--cap-add refuses what hands the host to the container (its root is the host\'s root, with no user',
  'namespace): SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE, DAC_READ_SEARCH, SYS_BOOT, MAC_ADMIN,',
  'MAC_OVERRIDE, MKNOD, BPF, PERFMON, SYSLOG, SYS_TIME, AUDIT_CONTROL, AUDIT_READ, SYS_PACCT, ALL,',
  'and NET_ADMIN with --network host. Each refusal says why; README.md lists the reasons.',
  'Strata sets no_new_privs in every container (Docker does not): --security-opt no-new-privileges=false',
  'turns it off, so that setuid programs in the image work as under Docker.',
];

function invalidArg(value: string, flag: string, why: string): UsageError {
  return new UsageError(`invalid argument "${value}" for "${flag}" flag: ${why}`);
}

function runError(message: string): CommandError {
  return new CommandError(`strata: ${message}\n\nRun 'strata run --help' for more information`, 125);
}

/** -e NAME without a value: the caller's value, or nothing at all (never NAME=""), as Docker. */
export function envEntries(values: string[]): string[] {
  const out: string[] = [];
  for (const e of values) {
    if (e.includes('=')) out.push(e);
    else if (process.env[e] !== undefined) out.push(`${e}=${process.env[e]}`);
  }
  return out;
}

/** Docker's env file: one KEY=VALUE a line, taken as it is (no quotes, no expansion); KEY alone is
 *  copied from here when set; empty lines and # comments are skipped. */
export function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw runError(`open ${path}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (/\s/.test(name)) throw runError(`variable '${name}' contains whitespaces`);
    if (eq === 0) throw runError(`invalid environment variable: ${line}`);
    out.push(...envEntries([line]));
  }
  return out;
}

function labelsOf(values: string[]): Record<string, string> | undefined {
  if (!values.length) return undefined;
  const out: Record<string, string> = {};
  for (const l of values) {
    const eq = l.indexOf('=');
    Object.defineProperty(out, eq < 0 ? l : l.slice(0, eq), { value: eq < 0 ? '' : l.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function intFlag(ctx: CommandContext, flag: string, display = `--${flag}`): number | undefined {
  const v = str(ctx, flag);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArg(v, display, `strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function ulimitOf(v: string): { name: UlimitName; soft: number; hard: number } {
  // go-units' ParseUlimit, step by step, for its messages: NAME=..., a known NAME, then numbers.
  const parts = v.split('=');
  if (parts.length !== 2) throw invalidArg(v, '--ulimit', `invalid ulimit argument: ${v}`);
  const [name, values] = parts;
  if (!(ULIMIT_NAMES as readonly string[]).includes(name)) throw invalidArg(v, '--ulimit', `invalid ulimit type: ${name}`);
  const limits = values.split(':');
  if (limits.length > 2) throw invalidArg(v, '--ulimit', `too many limit value arguments - ${values}, can only have up to two, \`soft[:hard]\``);
  const bad = limits.find((n) => !/^[-+]?\d+$/.test(n));
  if (bad !== undefined) throw invalidArg(v, '--ulimit', `strconv.ParseInt: parsing "${bad}": invalid syntax`);
  const soft = Number(limits[0]);
  const hard = limits.length === 2 ? Number(limits[1]) : soft;
  if (hard !== -1 && (soft === -1 || soft > hard)) throw invalidArg(v, '--ulimit', `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { name: name as UlimitName, soft, hard };
}

function extraHostOf(v: string): string {
  // host:ip, or host=ip (Docker 25); an IPv6 address has colons of its own
  const sep = v.includes('=') ? v.indexOf('=') : v.indexOf(':');
  if (sep <= 0 || sep === v.length - 1) throw invalidArg(v, '--add-host', `bad format for add-host: "${v}"`);
  const ip = v.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
  if (!/^[0-9A-Fa-f:.]+$/.test(ip) || (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ip.includes(':'))) throw invalidArg(v, '--add-host', `invalid IP address in add-host: "${ip}"`);
  return `${v.slice(0, sep)}:${ip}`;
}

function nanoCpusOf(v: string): number {
  if (!/^\d*\.?\d+$/.test(v)) throw invalidArg(v, '--cpus', `failed to parse ${v} as a rational number`);
  const n = Math.round(Number(v) * 1e9);
  if (n < 10_000_000) throw runError(`Range of CPUs is from 0.01 to the number of CPUs available`);
  return n;
}

export function restartPolicyOf(v: string): RestartPolicy {
  const [name, count, extra] = v.split(':');
  if (extra !== undefined) throw runError(`invalid restart policy format: ${v}`);
  if (count !== undefined && !/^\d+$/.test(count)) throw runError('invalid restart policy format: maximum retry count must be an integer');
  if (name !== 'no' && name !== 'always' && name !== 'on-failure' && name !== 'unless-stopped') {
    throw runError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (count !== undefined && name !== 'on-failure') throw runError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  return { name, maximumRetryCount: count === undefined ? 0 : Number(count) };
}

function noNewPrivilegesOf(values: string[]): boolean | undefined {
  let out: boolean | undefined;
  for (const v of values) {
    const m = /^no-new-privileges(?:[=:](true|false))?$/.exec(v);
    if (!m) {
      if (/^(seccomp|apparmor|label|systempaths|proc-opts)[=:]/.test(v)) throw runError(`--security-opt ${v}: Strata takes only no-new-privileges[=true|false] (its seccomp filter and masks are fixed)`);
      throw runError(`Invalid --security-opt: ${JSON.stringify(v)}`);
    }
    out = m[1] !== 'false';
  }
  return out;
}

/** The options of issue 13's flags, to spread into ContainerOptions; env entries from --env-file go before -e's. */
export function runFlagOptions(ctx: CommandContext): Partial<ContainerOptions> & { envFromFiles: string[] } {
  const pull = str(ctx, 'pull');
  if (pull !== undefined && !['always', 'missing', 'never'].includes(pull)) {
    throw runError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  if (pull === 'always') throw runError('--pull always: Strata has no registry to pull from yet (import, load or build the image; --pull missing and never are accepted)');
  const stopTimeout = intFlag(ctx, 'stop-timeout');
  if (stopTimeout !== undefined && (stopTimeout < 0 || stopTimeout > 3600)) throw runError(`--stop-timeout ${stopTimeout}: from 0 to 3600 seconds`);
  const shares = intFlag(ctx, 'cpu-shares', '-c, --cpu-shares');
  const cpus = str(ctx, 'cpus');
  const restart = str(ctx, 'restart');
  const nnp = noNewPrivilegesOf(list(ctx, 'security-opt'));
  const ulimits = list(ctx, 'ulimit').map(ulimitOf);
  const hosts = list(ctx, 'add-host').map(extraHostOf);
  const labels = labelsOf(list(ctx, 'label'));
  return {
    envFromFiles: list(ctx, 'env-file').flatMap(readEnvFile),
    ...(labels ? { labels } : {}),
    ...(str(ctx, 'stop-signal') !== undefined ? { stopSignal: str(ctx, 'stop-signal') } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    ...(bool(ctx, 'init') ? { init: true } : {}),
    ...(hosts.length ? { extraHosts: hosts } : {}),
    ...(ulimits.length ? { ulimits } : {}),
    ...(cpus !== undefined ? { nanoCpus: nanoCpusOf(cpus) } : {}),
    // Docker: 0 is the default (1024); below 2 the kernel takes 2
    ...(shares !== undefined && shares !== 0 ? { cpuShares: Math.min(262144, Math.max(2, shares)) } : {}),
    ...(nnp !== undefined ? { noNewPrivileges: nnp } : {}),
    ...(list(ctx, 'cap-add').length ? { capAdd: list(ctx, 'cap-add') } : {}),
    ...(list(ctx, 'cap-drop').length ? { capDrop: list(ctx, 'cap-drop') } : {}),
    ...(restart !== undefined && restart !== 'no' ? { restartPolicy: restartPolicyOf(restart) } : restart === 'no' ? { restartPolicy: { name: 'no', maximumRetryCount: 0 } } : {}),
  };
}
