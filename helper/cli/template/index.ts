// Go text/template, the part Docker's --format uses (see README.md's Decisions for why it is
// written here rather than taken from npm): parse once, execute over data.
import { Executor, type ExecOptions, TemplateExecError } from './exec';
import { DOCKER_FUNCS, type FuncMap } from './funcs';
import { TemplateSyntaxError } from './lexer';
import type { Node } from './nodes';
import { parse } from './parse';

export { TemplateExecError, TemplateSyntaxError };
export { DOCKER_FUNCS, HEADER_FUNCS } from './funcs';
export { goMap, goStruct, nilMap, nilSlice, goJson, escapeHtml } from './values';
export { goQuote } from './printf';
export { tabwrite } from './tabwriter';

export class Template {
  private constructor(readonly source: string, private readonly nodes: Node[]) {}

  /** Throws TemplateSyntaxError with Go's message ("template: :1: unclosed action"). */
  static parse(source: string, funcs: FuncMap = DOCKER_FUNCS): Template {
    return new Template(source, parse(source, (name) => name in funcs));
  }

  /** Throws TemplateExecError with Go's message ("template: :1:2: executing "" at <.X>: ..."). */
  execute(data: unknown, funcs: FuncMap = DOCKER_FUNCS, options: ExecOptions = { missingField: 'struct' }): string {
    return new Executor(this.source, funcs, options).run(this.nodes, data);
  }

  /** Executes as far as it gets: what Go has written when an error stops it. */
  executePartial(data: unknown, funcs: FuncMap, options: ExecOptions = { missingField: 'struct' }): string {
    const executor = new Executor(this.source, funcs, options);
    try {
      return executor.run(this.nodes, data);
    } catch (err) {
      if (err instanceof TemplateExecError) return executor.written();
      throw err;
    }
  }
}
