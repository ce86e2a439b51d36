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

/**
 * A command line the command cannot take. Docker's CLI (cobra) tells two kinds apart: a flag it
 * cannot parse exits 125 ("unknown flag: --x", "invalid argument ..."), a wrong number of
 * arguments exits 1 ("'docker wait' requires at least 1 argument").
 */
export class UsageError extends Error {
  constructor(message: string, readonly kind: 'flag' | 'args' = 'flag') {
    super(message);
  }

  get exitCode(): number {
    return this.kind === 'args' ? 1 : 125;
  }
}

/** What Docker's CLI prints for a usage error, with the command's usage line. */
export function usageErrorText(spec: CommandSpec, err: UsageError): string {
  const path = `strata ${spec.name}`;
  const usage = `Usage:  ${path} ${spec.usage}`;
  if (err.kind === 'flag') return `${err.message}\n\n${usage}\n\nRun '${path} --help' for more information\n`;
  // cobra's RequiresMinArgs says "See", the other argument checks "Run".
  const verb = /requires at least \d+ argument/.test(err.message) && !/at most/.test(err.message) ? 'See' : 'Run';
  return `strata: '${path}' ${err.message}\n\n${usage}\n\n${verb} '${path} --help' for more information\n`;
}

/** Docker's words for a wrong number of arguments (docker/cli cli/required.go). */
function argCountError(spec: CommandSpec, n: number): UsageError | undefined {
  const { minArgs: min, maxArgs: max } = spec;
  const plural = (k: number) => `argument${k === 1 ? '' : 's'}`;
  if ((min === undefined || n >= min) && (max === undefined || n <= max)) return undefined;
  if (max === 0) return new UsageError('accepts no arguments', 'args');
  if (min !== undefined && min === max) return new UsageError(`requires ${min} ${plural(min)}`, 'args');
  if (min !== undefined && max !== undefined && min > 0) return new UsageError(`requires at least ${min} and at most ${max} ${plural(max)}`, 'args');
  if (min !== undefined && n < min) return new UsageError(`requires at least ${min} ${plural(min)}`, 'args');
  return new UsageError(`requires at most ${max} ${plural(max!)}`, 'args');
}

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
        // pflag: -X=VALUE gives a flag its value after the '=' (-H=false, -t=5).
        const assigned = a[j + 1] === '=' ? a.slice(j + 2) : undefined;
        if (f.kind === 'bool') {
          if (assigned === undefined) { flags[f.long] = true; continue; }
          if (assigned !== 'true' && assigned !== 'false') throw new UsageError(`-${a[j]} takes true or false`);
          flags[f.long] = assigned === 'true';
          break;
        }
        if (assigned !== undefined) { set(f, assigned); break; }
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
  const countError = argCountError(spec, args.length);
  if (countError) throw countError;
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
export const formatFlag: FlagSpec = {
  long: 'format', kind: 'string', value: 'string',
  help: 'Format output: "table" (default), "table TEMPLATE" (a Go template with a header row), "json" (an object per line), or a Go template',
};
