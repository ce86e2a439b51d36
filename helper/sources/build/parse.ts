// A Dockerfile as the build needs it, parsed by dockerfile-ast (the parser of the Dockerfile
// language server that VS Code's Docker tooling uses): the instructions in order, each with its
// keyword, its lines, its flags and its arguments with line continuations joined as Docker joins
// them. Everything Strata does not build is refused here, before any step runs, with the file and
// the line (an unknown instruction, a flag such as RUN --mount, a heredoc).
import { DockerfileParser, type Instruction as AstInstruction } from 'dockerfile-ast';
import { jsonArgs } from './lex';

export interface Flag { name: string; value: string | null }

export interface Instruction {
  /** Upper case: RUN, COPY, ... */
  keyword: string;
  /** 1-based lines of the Dockerfile it spans. */
  line: number;
  endLine: number;
  /** The instruction as Docker prints it in `Step n/m : ...` (continuations joined). */
  original: string;
  flags: Flag[];
  /** The arguments after the flags, continuations joined, comments inside them dropped. */
  args: string;
  /** The exec (JSON) form's argv, when the arguments are one. */
  json: string[] | null;
  /** ONBUILD's trigger, as written after ONBUILD. */
  trigger?: string;
}

export interface Dockerfile {
  instructions: Instruction[];
  escape: string;
}

/** A Dockerfile that cannot be built: the file, the line and what is wrong. */
export class DockerfileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'DockerfileError';
  }
}

/** The flags each instruction takes here; others (RUN --mount, --network, --security, ...) are refused. */
const FLAGS: Record<string, string[]> = {
  FROM: [], RUN: [], COPY: ['from', 'chown', 'chmod'], ADD: ['chown', 'chmod'], HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};
export const KEYWORDS = [
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG',
  'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
];

/**
 * Joins continuation lines as Docker's parser does: a line ending in the escape character (and
 * blanks) goes on with the next, whose empty and comment lines are skipped.
 */
export function joinContinuations(raw: string, escape: string): string {
  const lines = raw.split(/\r?\n/);
  let out = '';
  let continuing = false;
  for (const line of lines) {
    if (continuing && (/^\s*$/.test(line) || /^\s*#/.test(line))) continue;
    const m = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`).exec(line);
    if (m) {
      out += line.slice(0, m.index);
      continuing = true;
    } else {
      out += line;
      continuing = false;
    }
  }
  return out;
}

function flagsOf(ins: AstInstruction): Flag[] {
  const withFlags = ins as AstInstruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  return withFlags.getFlags ? withFlags.getFlags().map((f) => ({ name: f.getName(), value: f.getValue() })) : [];
}

function heredocsOf(ins: AstInstruction): number {
  const h = ins as AstInstruction & { getHeredocs?: () => unknown[] };
  return h.getHeredocs ? h.getHeredocs().length : 0;
}

function toInstruction(ins: AstInstruction, file: string, escape: string): Instruction {
  const keyword = ins.getKeyword();
  const range = ins.getRange();
  const line = range.start.line + 1;
  const fail = (detail: string): never => { throw new DockerfileError(file, line, detail); };
  if (!KEYWORDS.includes(keyword)) fail(`unknown instruction: ${ins.getInstruction()}`);
  if (heredocsOf(ins) > 0) fail(`${keyword} with a heredoc (<<EOF) is not supported: Strata builds as Docker's classic builder, which has no heredocs`);
  const flags = flagsOf(ins);
  const allowed = FLAGS[keyword] ?? [];
  for (const f of flags) {
    if (!allowed.includes(f.name)) {
      fail(`${keyword} --${f.name} is not supported${allowed.length ? ` (${keyword} takes ${allowed.map((a) => `--${a}`).join(', ')})` : ''}: Strata builds as Docker's classic builder does`);
    }
  }
  const args = joinContinuations(ins.getRawArgumentsContent() ?? '', escape).trim();
  const original = joinContinuations(ins.getTextContent(), escape).trim();
  const out: Instruction = { keyword, line, endLine: range.end.line + 1, original, flags, args, json: jsonArgs(args) };
  if (keyword === 'ONBUILD') {
    const trigger = args.split(/\s+/)[0]?.toUpperCase() ?? '';
    if (!trigger) fail('ONBUILD requires at least one argument');
    if (trigger === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
    if (trigger === 'FROM' || trigger === 'MAINTAINER') fail(`${trigger} isn't allowed as an ONBUILD trigger`);
    if (!KEYWORDS.includes(trigger)) fail(`unknown instruction in ONBUILD: ${trigger}`);
    out.trigger = args;
  }
  if (!args && keyword !== 'ONBUILD') fail(`${keyword} requires at least one argument`);
  return out;
}

/** Parses `text` (the Dockerfile named `file`, for messages). */
export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const ast = DockerfileParser.parse(text);
  const escape = ast.getEscapeCharacter();
  const instructions = ast.getInstructions().map((ins) => toInstruction(ins, file, escape));
  if (instructions.length === 0) throw new DockerfileError(file, 1, 'the Dockerfile has no instructions (file with no instructions)');
  return { instructions, escape };
}
