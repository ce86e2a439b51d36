// The parser of text/template (text/template/parse/parse.go), over lexer.ts's tokens: actions,
// pipelines with declarations, if/else if/with/range with else, break and continue, and the
// parse-time checks Go makes (a function must exist, a variable must be declared).
import { lex, syntaxError, type Token, type TokenType } from './lexer';
import type { Arg, Command, Node, Pipe } from './nodes';

type ControlEnd = { type: 'end' | 'else'; pos: number; line: number; elseIf?: 'if' | 'with' };

export function parse(input: string, hasFunction: (name: string) => boolean): Node[] {
  return new Parser(lex(input), hasFunction).parseRoot();
}

class Parser {
  private i = 0;
  private vars = ['$'];
  private rangeDepth = 0;

  constructor(private readonly tokens: Token[], private readonly hasFunction: (name: string) => boolean) {}

  parseRoot(): Node[] {
    const root: Node[] = [];
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if ('type' in n && (n.type === 'end' || n.type === 'else')) throw this.error(`unexpected {{${n.type}}}`);
      root.push(n as Node);
    }
    return root;
  }

  private peek(): Token { return this.tokens[this.i]; }
  private next(): Token { return this.tokens[this.i++]; }
  private peekNonSpace(): Token {
    while (this.tokens[this.i].type === 'space') this.i++;
    return this.tokens[this.i];
  }
  private nextNonSpace(): Token {
    this.peekNonSpace();
    return this.next();
  }
  private error(message: string, token = this.tokens[Math.max(0, this.i - 1)]): Error {
    return syntaxError(token.line, message);
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) throw this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Token, context: string): Error {
    const what = t.type === 'eof' ? 'EOF' : t.type === 'keyword' ? `<${t.val}>` : t.type === 'right' ? `"}}"` : JSON.stringify(t.val);
    return this.error(`unexpected ${what} in ${context}`, t);
  }

  private textOrAction(): Node | ControlEnd {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { type: 'text', text: t.val, pos: t.pos };
    if (t.type === 'left') return this.action();
    throw this.unexpected(t, 'input');
  }

  private action(): Node | ControlEnd {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'if': case 'with': case 'range': return this.control(t.val, t);
        case 'else': {
          const p = this.peekNonSpace();
          if (p.type === 'keyword' && (p.val === 'if' || p.val === 'with')) return { type: 'else', pos: p.pos, line: p.line, elseIf: p.val };
          this.expect('right', 'else');
          return { type: 'else', pos: t.pos, line: t.line };
        }
        case 'end': this.expect('right', 'end'); return { type: 'end', pos: t.pos, line: t.line };
        case 'break': case 'continue':
          this.expect('right', t.val);
          if (this.rangeDepth === 0) throw this.error(`{{${t.val}}} outside {{range}}`, t);
          return { type: t.val, pos: t.pos };
        default: throw this.error(`{{${t.val}}} is not supported here`, t);
      }
    }
    this.i--;
    const pipe = this.pipeline('command', 'right');
    return { type: 'action', pipe, pos: pipe.pos };
  }

  private control(context: 'if' | 'with' | 'range', start: Token): Node {
    const depth = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'right');
      if (context === 'range') this.rangeDepth++;
      const [list, end] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: Node[] | null = null;
      if (end.type === 'else') {
        if (end.elseIf && end.elseIf === context) {
          // {{else if ...}} is {{else}}{{if ...}}..., sharing this control's {{end}}.
          const kw = this.nextNonSpace();
          elseList = [this.control(end.elseIf, kw)];
        } else {
          const [rest, last] = this.itemList();
          if (last.type !== 'end') throw this.error(`expected end; found {{${last.type}}}`);
          elseList = rest;
        }
      }
      return { type: context, pipe, list, elseList, pos: start.pos };
    } finally {
      this.vars.length = depth;
    }
  }

  private itemList(): [Node[], ControlEnd] {
    const list: Node[] = [];
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n as ControlEnd];
      list.push(n as Node);
    }
    throw this.error('unexpected EOF', this.peek());
  }

  private pipeline(context: string, end: TokenType): Pipe {
    const first = this.peekNonSpace();
    const pipe: Pipe = { decl: [], isAssign: false, cmds: [], pos: first.pos };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        if (pipe.cmds.length === 0) throw this.error(`missing value for ${context}`, t);
        pipe.cmds.slice(1).forEach((c, n) => {
          if (['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0].type)) throw this.error(`non executable command in pipeline stage ${n + 2}`, t);
        });
        return pipe;
      }
      if (!['bool', 'char', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string', 'variable', 'leftParen'].includes(t.type)) {
        throw this.unexpected(t, context);
      }
      this.i--;
      pipe.cmds.push(this.command());
    }
  }

  /** $x := ..., $x = ..., and range's $i, $e := ... */
  private declarations(pipe: Pipe, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const at = this.i;
      this.next();
      const next = this.peekNonSpace();
      if (next.type === 'declare' || next.type === 'assign') {
        this.next();
        pipe.isAssign = next.type === 'assign';
        pipe.decl.push(v.val);
        if (pipe.isAssign) this.useVar(v);
        else this.vars.push(v.val);
        return;
      }
      if (next.type === 'comma') {
        this.next();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2 && ['variable', 'right', 'rightParen'].includes(this.peekNonSpace().type)) continue;
        throw this.error(context === 'range' ? 'range can only initialize variables' : `too many declarations in ${context}`, next);
      }
      this.i = at;
      return;
    }
  }

  private command(): Command {
    const cmd: Command = { args: [], pos: this.peekNonSpace().pos };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'right' || t.type === 'rightParen') { this.i--; break; }
      if (t.type === 'pipe') break;
      throw this.unexpected(t, 'operand');
    }
    if (cmd.args.length === 0) throw this.error('empty command');
    return cmd;
  }

  private operand(): Arg | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const idents: string[] = [];
    while (this.peek().type === 'field') idents.push(this.next().val.slice(1));
    if (node.type === 'field' || node.type === 'variable') return { ...node, idents: [...node.idents, ...idents] };
    if (['bool', 'string', 'number', 'nil', 'dot'].includes(node.type)) throw this.error(`unexpected . after term "${node.type === 'dot' ? '.' : node.type}"`);
    return { type: 'chain', node, idents, pos: node.pos };
  }

  private term(): Arg | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunction(t.val)) throw this.error(`function "${t.val}" not defined`, t);
        return { type: 'identifier', name: t.val, pos: t.pos };
      case 'dot': return { type: 'dot', pos: t.pos };
      case 'nil': return { type: 'nil', pos: t.pos };
      case 'variable': return this.useVar(t);
      case 'field': return { type: 'field', idents: [t.val.slice(1)], pos: t.pos };
      case 'bool': return { type: 'bool', value: t.val === 'true', pos: t.pos };
      case 'number': case 'char': return this.number(t);
      case 'leftParen': return { type: 'pipe', pipe: this.pipeline('parenthesized pipeline', 'rightParen'), pos: t.pos };
      case 'string': case 'rawString': return { type: 'string', value: unquote(t, (m) => this.error(m, t)), quoted: t.val, pos: t.pos };
      default: this.i--; return undefined;
    }
  }

  private useVar(t: Token): Arg {
    if (!this.vars.includes(t.val)) throw this.error(`undefined variable "${t.val}"`, t);
    return { type: 'variable', name: t.val, idents: [], pos: t.pos };
  }

  private number(t: Token): Arg {
    const value = t.type === 'char' ? unquote(t, (m) => this.error(m, t)).codePointAt(0)! : Number(t.val.replace(/_/g, ''));
    if (Number.isNaN(value)) throw this.error(`illegal number syntax: "${t.val}"`, t);
    return { type: 'number', value, isInt: Number.isInteger(value), text: t.val, pos: t.pos };
  }
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** strconv.Unquote for "...", `...` and '.'. */
function unquote(t: Token, fail: (message: string) => Error): string {
  const body = t.val.slice(1, -1);
  if (t.type === 'rawString') return body.replace(/\r/g, '');
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    if (e in ESCAPES) return ESCAPES[e];
    throw fail('invalid syntax');
  });
}
