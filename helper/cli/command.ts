// What a CLI command is: its flags and help (args.ts) and a run function that talks to the helper.
import type { StrataClient } from '../protocol/client';
import type { CommandSpec, Parsed } from './args';

export interface CommandContext extends Parsed {
  client(): Promise<StrataClient>;
  /** Standard output; bytes go as they are (file names that are not UTF-8). */
  out(text: string | Uint8Array): void;
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

/** A failure the CLI prints as it is (Docker's words) and exits with, as Docker's CLI does. */
export class CommandError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** --format of a verb Docker gives none (diff, top): "json" is the protocol's own list, as a JSON array. */
export function protocolJson(ctx: CommandContext): boolean {
  const f = str(ctx, 'format');
  if (f === undefined || f === 'table') return false;
  if (f === 'json') return true;
  throw new CommandError(`unsupported --format ${JSON.stringify(f)}: this command takes "table" or "json"`);
}
