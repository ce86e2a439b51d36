// Docker-style flags: -i -t and -it, --name N and --name=N, repeated -e, --help; for commands that
// take a command line (run, exec) parsing stops at the first positional, so `run img ls -l` works.
export type FlagKind = 'bool' | 'string' | 'list';

export interface FlagSpec {
  long: string;
  short?: string;
  kind: FlagKind;
  value?: string; // placeholder in help, e.g. NAME
  help: string;
}

export interface CommandSpec {
  name: string;
  usage: string; // after "strata <name> "
  summary: string;
  flags: FlagSpec[];
  /** Stop at the first positional: the rest is a command line. */
  stopAtPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
  notes?: string[];
}

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  args: string[];
}

export class UsageError extends Error {}

export function parseArgs(spec: CommandSpec, argv: string[]): Parsed {
  const flags: Parsed['flags'] = {};
  const args: string[] = [];
  const byLong = new Map(spec.flags.map((f) => [f.long, f]));
  const byShort = new Map(spec.flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const set = (f: FlagSpec, value: string | true) => {
    if (f.kind === 'list') flags[f.long] = [...((flags[f.long] as string[]) ?? []), String(value)];
    else flags[f.long] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { args.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const f = byLong.get(name);
      if (!f) throw new UsageError(`unknown flag: --${name}`);
      if (f.kind === 'bool') {
        const v = eq > 0 ? a.slice(eq + 1) : 'true';
        if (v !== 'true' && v !== 'false') throw new UsageError(`--${name} takes true or false`);
        flags[f.long] = v === 'true';
      } else {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`flag needs an argument: --${name}`);
        set(f, v);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && a !== '-') {
      for (let j = 1; j < a.length; j++) {
        const f = byShort.get(a[j]);
        if (!f) throw new UsageError(`unknown shorthand flag: '${a[j]}' in ${a}`);
        if (f.kind === 'bool') { flags[f.long] = true; continue; }
        const rest = a.slice(j + 1);
        const v = rest.length ? rest : argv[++i];
        if (v === undefined) throw new UsageError(`flag needs an argument: '${a[j]}' in -${a[j]}`);
        set(f, v);
        break;
      }
      continue;
    }
    args.push(a);
    if (spec.stopAtPositional) { args.push(...argv.slice(i + 1)); break; }
  }
  if (flags.help) return { flags, args };
  if (spec.minArgs !== undefined && args.length < spec.minArgs) {
    throw new UsageError(`"strata ${spec.name}" requires ${spec.minArgs === spec.maxArgs ? 'exactly' : 'at least'} ${spec.minArgs} argument${spec.minArgs === 1 ? '' : 's'}`);
  }
  if (spec.maxArgs !== undefined && args.length > spec.maxArgs) {
    throw new UsageError(`"strata ${spec.name}" accepts at most ${spec.maxArgs} argument${spec.maxArgs === 1 ? '' : 's'}`);
  }
  return { flags, args };
}

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage:  strata ${spec.name} ${spec.usage}`, '', spec.summary, ''];
  if (spec.flags.length) {
    lines.push('Options:');
    const left = spec.flags.map((f) => `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.value ? ` ${f.value}` : ''}`);
    const width = Math.max(...left.map((l) => l.length)) + 2;
    spec.flags.forEach((f, i) => lines.push(`  ${left[i].padEnd(width)}${f.help}`));
  }
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n') + '\n';
}

export const helpFlag: FlagSpec = { long: 'help', kind: 'bool', help: 'Print usage' };
export const formatFlag: FlagSpec = { long: 'format', kind: 'string', value: 'FORMAT', help: 'Output format: "table" (default) or "json"' };
