// Executes a parsed template over data as text/template does (text/template/exec.go): fields,
// variables, pipelines (the previous value is the last argument), if/with/range with else and
// their variable scopes, break and continue, and Go's error messages, which name where they
// happened: template: :LINE:COL: executing "" at <NODE>: ...
import { argString, commandString, type Arg, type Command, type ControlNode, type Node, type Pipe } from './nodes';
import { type Func, type FuncMap, callFunc, FuncError } from './funcs';
import { isGoMap, isGoNil, isStruct, isTrue, printValue, typeName } from './values';

export class TemplateExecError extends Error {}

export interface ExecOptions {
  /** A field a struct lacks: Go's error for a struct ("can't evaluate field X in type T"), or for
   *  a map with missingkey=error ("map has no entry for key"), as docker inspect's raw fallback. */
  missingField: 'struct' | 'map';
}

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
/** A value that is not there (a missing map key): prints as <no value>. */
const MISSING = undefined;
/** No value piped in: distinct from undefined (a missing key) and null (nil). */
const NO_FINAL = Symbol('no final');

export class Executor {
  private vars: { name: string; value: unknown }[] = [];
  private out = '';

  constructor(private readonly source: string, private readonly funcs: FuncMap, private readonly options: ExecOptions) {}

  run(nodes: Node[], data: unknown): string {
    this.vars = [{ name: '$', value: data }];
    this.out = '';
    this.walk(data, nodes);
    return this.out;
  }

  /** What the template wrote before it stopped. */
  written(): string {
    return this.out;
  }

  private fail(pos: number, context: string, message: string): TemplateExecError {
    const before = this.source.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - (before.lastIndexOf('\n') + 1);
    const at = context.length > 20 ? `${context.slice(0, 20)}...` : context;
    return new TemplateExecError(`template: :${line}:${col}: executing "" at <${at}>: ${message}`);
  }

  private walk(dot: unknown, nodes: Node[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text': this.out += node.text; break;
        case 'action': {
          const value = this.pipeline(dot, node.pipe);
          if (node.pipe.decl.length === 0) this.out += printValue(value);
          break;
        }
        case 'if': case 'with': {
          const mark = this.vars.length;
          const value = this.pipeline(dot, node.pipe);
          if (isTrue(value)) this.walk(node.type === 'with' ? value : dot, node.list);
          else if (node.elseList) this.walk(dot, node.elseList);
          this.vars.length = mark;
          break;
        }
        case 'range': this.range(dot, node); break;
        case 'break': throw BREAK;
        case 'continue': throw CONTINUE;
      }
    }
  }

  private range(dot: unknown, node: ControlNode): void {
    const mark = this.vars.length;
    const value = this.pipeline(dot, node.pipe);
    const items: [unknown, unknown][] = [];
    if (Array.isArray(value)) value.forEach((v, i) => items.push([i, v]));
    else if (isGoMap(value)) for (const k of Object.keys(value).sort()) items.push([k, value[k]]);
    else if (typeof value === 'number' && Number.isInteger(value)) for (let i = 0; i < value; i++) items.push([i, i]);
    else if (!(value === MISSING || value === null || isGoNil(value))) throw this.fail(node.pos, `range ${argString({ type: 'pipe', pipe: node.pipe, pos: 0 }).slice(1, -1)}`, `range can't iterate over ${printValue(value)}`);
    for (const [key, elem] of items) {
      const decl = node.pipe.decl;
      if (decl.length === 1) this.setTop(1, elem);
      if (decl.length === 2) { this.setTop(1, elem); this.setTop(2, key); }
      const iteration = this.vars.length;
      try {
        this.walk(elem, node.list);
      } catch (signal) {
        if (signal === BREAK) { this.vars.length = iteration; break; }
        if (signal !== CONTINUE) throw signal;
      }
      this.vars.length = iteration;
    }
    if (items.length === 0 && node.elseList) this.walk(dot, node.elseList);
    this.vars.length = mark;
  }

  private setTop(n: number, value: unknown): void {
    this.vars[this.vars.length - n].value = value;
  }

  private variable(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    throw new TemplateExecError(`template: undefined variable: ${name}`);
  }

  pipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.command(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) { this.vars[i].value = value; break; }
      } else this.vars.push({ name, value });
    }
    return value;
  }

  private command(dot: unknown, cmd: Command, final: unknown): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field': return this.fieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'variable': {
        const value = this.variable(first.name);
        if (first.idents.length === 0) { this.notAFunction(cmd, final); return value; }
        return this.fieldChain(dot, value, first, first.idents, cmd.args, final);
      }
      case 'chain': {
        if (first.node.type === 'pipe') this.notAFunction({ ...cmd, args: cmd.args.slice(0, 1) }, NO_FINAL);
        const base = this.arg(dot, first.node);
        return this.fieldChain(dot, base, first, first.idents, cmd.args, final);
      }
      case 'identifier': return this.call(dot, cmd, first.name, final);
      case 'pipe': this.notAFunction(cmd, final); return this.pipeline(dot, first.pipe);
      case 'nil': throw this.fail(first.pos, 'nil', 'nil is not a command');
      default: this.notAFunction(cmd, final); return this.arg(dot, first);
    }
  }

  private notAFunction(cmd: Command, final: unknown): void {
    if (cmd.args.length > 1 || final !== NO_FINAL) throw this.fail(cmd.args[0].pos, argString(cmd.args[0]), `can't give argument to non-function ${argString(cmd.args[0])}`);
  }

  /** An argument's value: a constant, a field, a variable or a parenthesized pipeline. */
  private arg(dot: unknown, a: Arg): unknown {
    switch (a.type) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'bool': case 'string': case 'number': return a.value;
      case 'field': return this.fieldChain(dot, dot, a, a.idents, [a], NO_FINAL);
      case 'variable': return a.idents.length ? this.fieldChain(dot, this.variable(a.name), a, a.idents, [a], NO_FINAL) : this.variable(a.name);
      case 'chain': return this.fieldChain(dot, this.arg(dot, a.node), a, a.idents, [a], NO_FINAL);
      case 'pipe': {
        const mark = this.vars.length;
        const value = this.pipeline(dot, a.pipe);
        this.vars.length = mark;
        return value;
      }
      case 'identifier': return this.call(dot, { args: [a], pos: a.pos }, a.name, NO_FINAL);
    }
  }

  private fieldChain(dot: unknown, receiver: unknown, node: Arg, idents: string[], args: Arg[], final: unknown): unknown {
    let r = receiver;
    for (let i = 0; i < idents.length; i++) {
      const last = i === idents.length - 1;
      r = this.field(dot, idents[i], node, last ? args : [node], last ? final : NO_FINAL, r);
    }
    return r;
  }

  private field(dot: unknown, name: string, node: Arg, args: Arg[], final: unknown, receiver: unknown): unknown {
    const where = argString(node);
    const hasArgs = args.length > 1 || final !== NO_FINAL;
    if (receiver === MISSING) return MISSING;
    if (receiver === null) throw this.fail(node.pos, where, `nil pointer evaluating interface {}.${name}`);
    if (isGoMap(receiver) || (isGoNil(receiver) && typeName(receiver).startsWith('map'))) {
      if (hasArgs) throw this.fail(node.pos, where, `${name} is not a method but has arguments`);
      return isGoNil(receiver) || !Object.prototype.hasOwnProperty.call(receiver, name) ? MISSING : (receiver as Record<string, unknown>)[name];
    }
    if (isStruct(receiver) && Object.prototype.hasOwnProperty.call(receiver, name)) {
      const value = receiver[name];
      if (typeof value === 'function') {
        const values = args.slice(1).map((a) => this.arg(dot, a));
        if (final !== NO_FINAL) values.push(final);
        return (value as (...a: unknown[]) => unknown)(...values);
      }
      if (hasArgs) throw this.fail(node.pos, where, `${name} has arguments but cannot be invoked as function`);
      return value;
    }
    if (isStruct(receiver) && this.options.missingField === 'map') throw this.fail(node.pos, where, `map has no entry for key "${name}"`);
    throw this.fail(node.pos, where, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private call(dot: unknown, cmd: Command, name: string, final: unknown): unknown {
    const fn: Func | undefined = this.funcs[name];
    if (!fn) throw this.fail(cmd.pos, name, `"${name}" is not a defined function`);
    const argNodes = cmd.args.slice(1);
    const at = commandString(cmd);
    // and/or evaluate their arguments only as far as they need to (Go 1.18).
    const lazy = argNodes.map((a) => () => this.arg(dot, a));
    if (final !== NO_FINAL) lazy.push(() => final);
    try {
      return callFunc(name, fn, lazy, argNodes);
    } catch (err) {
      if (!(err instanceof FuncError)) throw err;
      if (err.at === 'name') throw this.fail(cmd.args[0].pos, name, err.message);
      if (typeof err.at === 'number') throw this.fail(argNodes[err.at].pos, argString(argNodes[err.at]), err.message);
      throw this.fail(cmd.pos, at, err.message);
    }
  }
}
