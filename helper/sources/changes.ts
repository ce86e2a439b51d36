// `import -c` and `commit -c`: Dockerfile instructions that change an image's config
// (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, as docker import/commit accept).
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { ImageConfigBody } from '../protocol/types';

function argv(rest: string): string[] {
  const text = rest.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    } catch { /* fall through: shell form, as Docker does for malformed JSON */ }
  }
  return ['/bin/sh', '-c', text];
}

function pairs(rest: string, what: string): [string, string][] {
  const text = rest.trim();
  if (!text.includes('=')) {
    const m = /^(\S+)\s+(.*)$/s.exec(text);
    if (!m) throw new StrataError(ErrorCode.InvalidParams, `${what} needs KEY=VALUE or KEY VALUE: ${JSON.stringify(rest)}`);
    return [[m[1], m[2]]];
  }
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("((?:[^"\\]|\\.)*)"|\S*)/g;
  for (let m; (m = re.exec(text)); ) out.push([m[1], m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]]);
  return out;
}

export function applyChanges(base: ImageConfigBody, changes: string[]): ImageConfigBody {
  const config: ImageConfigBody = { ...base, Env: [...(base.Env ?? [])], Labels: { ...(base.Labels ?? {}) } };
  for (const change of changes) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/s.exec(change);
    if (!m) throw new StrataError(ErrorCode.InvalidParams, `change ${JSON.stringify(change)}: expected an instruction such as CMD, ENV, WORKDIR, ENTRYPOINT, USER, LABEL`);
    const [, word, rest] = m;
    switch (word.toUpperCase()) {
      case 'CMD': config.Cmd = argv(rest); break;
      case 'ENTRYPOINT': config.Entrypoint = argv(rest); break;
      case 'WORKDIR': config.WorkingDir = rest.trim(); break;
      case 'USER': config.User = rest.trim(); break;
      case 'ENV':
        for (const [k, v] of pairs(rest, 'ENV')) {
          config.Env = config.Env!.filter((e) => !e.startsWith(`${k}=`));
          config.Env.push(`${k}=${v}`);
        }
        break;
      case 'LABEL':
        for (const [k, v] of pairs(rest, 'LABEL')) config.Labels![k] = v;
        break;
      default:
        throw new StrataError(ErrorCode.InvalidParams, `change ${JSON.stringify(change)}: ${word} is not supported (use CMD, ENTRYPOINT, ENV, WORKDIR, USER or LABEL)`);
    }
  }
  if (Object.keys(config.Labels!).length === 0) delete config.Labels;
  return config;
}
