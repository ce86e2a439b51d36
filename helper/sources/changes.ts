// `import -c` and `commit -c`: Dockerfile instructions that change an image's config
// (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL, as docker import/commit accept).
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

/** EXPOSE's PORT[-END][/PROTO], as Docker records it: "80/tcp" each (a range is every port of it, at most 1024). */
function exposedPorts(spec: string, change: string): string[] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  const bad = () => new StrataError(ErrorCode.InvalidParams, `change ${JSON.stringify(change)}: invalid containerPort: ${spec}`);
  if (!m) throw bad();
  const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
  if (from < 1 || to > 65535 || to < from || to - from >= 1024) throw bad();
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}/${proto}`);
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
        // defineProperty: a label named __proto__ is a label, not the object's prototype
        for (const [k, v] of pairs(rest, 'LABEL')) Object.defineProperty(config.Labels!, k, { value: v, enumerable: true, writable: true, configurable: true });
        break;
      case 'EXPOSE': {
        const ports = { ...(config.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/)) for (const port of exposedPorts(p, change)) Object.defineProperty(ports, port, { value: {}, enumerable: true, writable: true, configurable: true });
        config.ExposedPorts = ports;
        break;
      }
      case 'STOPSIGNAL':
        if (!/^(SIG)?[A-Z0-9+-]{1,12}$|^[0-9]{1,2}$/.test(rest.trim())) throw new StrataError(ErrorCode.InvalidParams, `change ${JSON.stringify(change)}: not a signal`);
        config.StopSignal = rest.trim();
        break;
      default:
        throw new StrataError(ErrorCode.InvalidParams, `change ${JSON.stringify(change)}: ${word} is not supported (use CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE or STOPSIGNAL)`);
    }
  }
  if (Object.keys(config.Labels!).length === 0) delete config.Labels;
  return config;
}
