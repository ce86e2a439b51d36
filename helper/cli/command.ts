// What a CLI command is: its flags and help (args.ts) and a run function that talks to the helper.
import type { StrataClient } from '../protocol/client';
import type { CommandSpec, Parsed } from './args';

export interface CommandContext extends Parsed {
  client(): Promise<StrataClient>;
  out(text: string): void;
  err(text: string): void;
  root: string;
}

export interface Command {
  spec: CommandSpec;
  /** Exit code to use when the helper reports an error (docker run and create use 125). */
  errorExitCode?: number;
  run(ctx: CommandContext): Promise<number>;
}

export function str(ctx: CommandContext, flag: string): string | undefined {
  const v = ctx.flags[flag];
  return typeof v === 'string' ? v : undefined;
}

export function list(ctx: CommandContext, flag: string): string[] {
  const v = ctx.flags[flag];
  return Array.isArray(v) ? v : [];
}

export function bool(ctx: CommandContext, flag: string): boolean {
  return ctx.flags[flag] === true;
}

// XXX(issue 13): Docker's --format takes Go templates ('{{.ID}}', 'table {{.Names}}'), and its json
// is one object per line with Docker's keys; only "table" and a JSON array of Strata's shapes exist.
export function wantsJson(ctx: CommandContext): boolean {
  const f = str(ctx, 'format');
  if (f === undefined || f === 'table') return false;
  if (f === 'json') return true;
  throw new Error(`unsupported --format ${JSON.stringify(f)}: use "table" or "json"`);
}
