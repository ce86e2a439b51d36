// The parse tree of a template, shaped like text/template/parse's nodes, and their String()
// forms, which Go's error messages quote ("executing "" at <.Config.Nope>: ...").

export type Arg =
  | { type: 'field'; idents: string[]; pos: number }
  | { type: 'variable'; name: string; idents: string[]; pos: number }
  | { type: 'dot'; pos: number }
  | { type: 'identifier'; name: string; pos: number }
  | { type: 'string'; value: string; quoted: string; pos: number }
  | { type: 'number'; value: number; isInt: boolean; text: string; pos: number }
  | { type: 'bool'; value: boolean; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'pipe'; pipe: Pipe; pos: number }
  | { type: 'chain'; node: Arg; idents: string[]; pos: number };

export interface Command { args: Arg[]; pos: number }

export interface Pipe {
  /** Variables it declares ($x := ...) or assigns ($x = ...). */
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
  pos: number;
}

export interface ControlNode { type: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | null; pos: number }

export type Node =
  | { type: 'text'; text: string; pos: number }
  | { type: 'action'; pipe: Pipe; pos: number }
  | ControlNode
  | { type: 'break' | 'continue'; pos: number };

export function argString(a: Arg): string {
  switch (a.type) {
    case 'field': return `.${a.idents.join('.')}`;
    case 'variable': return [a.name, ...a.idents].join('.');
    case 'dot': return '.';
    case 'identifier': return a.name;
    case 'string': return a.quoted;
    case 'number': return a.text;
    case 'bool': return String(a.value);
    case 'nil': return 'nil';
    case 'pipe': return `(${pipeString(a.pipe)})`;
    case 'chain': return `${argString(a.node)}.${a.idents.join('.')}`;
  }
}

export function commandString(c: Command): string {
  return c.args.map(argString).join(' ');
}

export function pipeString(p: Pipe): string {
  const decl = p.decl.length ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(commandString).join(' | ');
}
