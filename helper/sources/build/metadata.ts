// The instructions that change only the image's config (ENV, LABEL, CMD, ENTRYPOINT, EXPOSE,
// VOLUME, USER, STOPSIGNAL, HEALTHCHECK, ONBUILD, SHELL, MAINTAINER, ARG): each makes a history
// entry with `empty_layer: true` and Docker's `created_by`, `<shell> #(nop)  <comment>`, the
// comment in the exact words of moby's builder/dockerfile/dispatchers.go (Go's %q and %v of
// lists included), so that `history` reads as Docker's does.
import type { ImageConfigBody } from '../../protocol/types';
import { jsonArgs, nameValues, processWord, splitWords, type Vars } from './lex';
import type { Instruction } from './parse';
import { shellOf, type StageState } from './state';

export class InstructionError extends Error {}

/** Go's %q of a []string: ["a" "b c"]. */
export function goQuoteList(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Go's time.Duration String(): 1m30s, 5s, 0s, 1.5s, 100ms. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : ns % 1e3 === 0 ? `${ns / 1e3}µs` : `${ns}ns`;
  const h = Math.floor(ns / 3.6e12);
  const m = Math.floor((ns % 3.6e12) / 6e10);
  const s = (ns % 6e10) / 1e9;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${Number(s.toFixed(9))}s`;
}

/** A Go duration string ("30s", "1m30s", "500ms") in nanoseconds. */
export function parseGoDuration(text: string, flag: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m; (m = re.exec(text)); ) { total += Number(m[1]) * units[m[2]]; matched = re.lastIndex; }
  if (text === '0') return 0;
  if (!text || matched !== text.length) throw new InstructionError(`HEALTHCHECK --${flag}: invalid duration ${JSON.stringify(text)}`);
  return Math.round(total);
}

/** CMD and ENTRYPOINT: the exec form as written, the shell form run by the stage's shell. */
function commandLine(ins: Instruction, state: StageState): string[] {
  return ins.json ?? [...shellOf(state), ins.args];
}

function flag(ins: Instruction, name: string): string | undefined {
  const f = ins.flags.find((x) => x.name === name);
  return f ? f.value ?? '' : undefined;
}

function healthcheck(ins: Instruction, state: StageState): NonNullable<ImageConfigBody['Healthcheck']> {
  const [sub, ...rest] = ins.args.split(/\s+/);
  const rawRest = ins.args.slice(sub.length).trim();
  if (sub.toUpperCase() === 'NONE') {
    if (rest.length) throw new InstructionError('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (sub.toUpperCase() !== 'CMD') throw new InstructionError(`HEALTHCHECK: unknown type ${JSON.stringify(sub)} (CMD or NONE)`);
  const json = jsonArgs(rawRest);
  const hc: NonNullable<ImageConfigBody['Healthcheck']> = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', rawRest] };
  void state;
  const durations: [string, 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'][] = [['interval', 'Interval'], ['timeout', 'Timeout'], ['start-period', 'StartPeriod'], ['start-interval', 'StartInterval']];
  for (const [name, field] of durations) {
    const v = flag(ins, name);
    if (v !== undefined) { const ns = parseGoDuration(v, name); if (ns) hc[field] = ns; }
  }
  const retries = flag(ins, 'retries');
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) throw new InstructionError(`HEALTHCHECK --retries: not a number: ${retries}`);
    if (Number(retries) > 0) hc.Retries = Number(retries);
  }
  return hc;
}

/** Go's %q of a small int (a rune): '\x03'. */
function goRune(n: number): string {
  return n >= 0x20 && n < 0x7f ? `'${String.fromCharCode(n)}'` : `'\\x${n.toString(16).padStart(2, '0')}'`;
}

function healthcheckComment(hc: NonNullable<ImageConfigBody['Healthcheck']>): string {
  const d = (n?: number) => JSON.stringify(goDuration(n ?? 0));
  return `HEALTHCHECK &{${goQuoteList(hc.Test)} ${d(hc.Interval)} ${d(hc.Timeout)} ${d(hc.StartPeriod)} ${d(hc.StartInterval)} ${goRune(hc.Retries ?? 0)}}`;
}

/**
 * Applies a config-only instruction: the new config body and the comment for its history entry.
 * `vars` expands $VAR where Docker does (ENV, LABEL, EXPOSE, VOLUME, USER, STOPSIGNAL, WORKDIR).
 */
export function applyMetadata(ins: Instruction, state: StageState, vars: Vars, escape: string): { body: ImageConfigBody; comment: string; author?: string } {
  const body: ImageConfigBody = { ...state.config.config };
  const word = (w: string) => processWord(w, vars, escape);
  const words = () => splitWords(ins.args, escape).map(word);
  switch (ins.keyword) {
    case 'ENV': {
      const env = [...(body.Env ?? [])];
      const parts: string[] = [];
      const local = new Map(vars);
      for (const { key, value } of nameValues(ins.args, 'ENV', escape)) {
        // Each value sees the ones before it on the same line (ENV A=1 B=$A), as Docker expands them.
        const k = processWord(key, local, escape);
        const v = processWord(value ?? '', local, escape);
        const at = env.findIndex((e) => e.startsWith(`${k}=`));
        if (at >= 0) env[at] = `${k}=${v}`; else env.push(`${k}=${v}`);
        local.set(k, v);
        parts.push(`${k}=${v}`);
      }
      body.Env = env;
      return { body, comment: `ENV ${parts.join(' ')}` };
    }
    case 'LABEL': {
      const labels = { ...(body.Labels ?? {}) };
      const parts: string[] = [];
      for (const { key, value } of nameValues(ins.args, 'LABEL', escape)) {
        const k = word(key);
        const v = word(value ?? '');
        labels[k] = v;
        parts.push(`${k}=${v}`);
      }
      body.Labels = labels;
      return { body, comment: `LABEL ${parts.join(' ')}` };
    }
    case 'MAINTAINER':
      return { body, comment: `MAINTAINER ${ins.args}`, author: ins.args };
    case 'CMD': {
      body.Cmd = commandLine(ins, state);
      return { body, comment: `CMD ${goQuoteList(body.Cmd)}` };
    }
    case 'ENTRYPOINT': {
      body.Entrypoint = commandLine(ins, state);
      // An ENTRYPOINT drops the CMD inherited from the base image (not one set in this stage).
      if (!state.cmdSet) body.Cmd = null;
      return { body, comment: `ENTRYPOINT ${goQuoteList(body.Entrypoint)}` };
    }
    case 'EXPOSE': {
      // moby's parseExpose sorts the words as written (sort.Strings, before expansion): the history
      // reads `EXPOSE 53/udp 8080` for `EXPOSE 8080 53/udp`.
      const ports = splitWords(ins.args, escape).sort().map(word);
      const exposed = { ...(body.ExposedPorts ?? {}) };
      for (const p of ports) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw new InstructionError(`EXPOSE: invalid port ${JSON.stringify(p)} (PORT[/tcp|udp|sctp])`);
        const proto = (m[3] ?? 'tcp').toLowerCase();
        for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) exposed[`${n}/${proto}`] = {};
      }
      body.ExposedPorts = exposed;
      return { body, comment: `EXPOSE ${ports.join(' ')}` };
    }
    case 'VOLUME': {
      const vols = ins.json ?? words();
      const volumes = { ...(body.Volumes ?? {}) };
      for (const v of vols) {
        if (!v.trim()) throw new InstructionError('VOLUME specified can not be an empty string');
        volumes[v] = {};
      }
      body.Volumes = volumes;
      return { body, comment: `VOLUME [${vols.join(' ')}]` };
    }
    case 'USER':
      body.User = word(ins.args);
      return { body, comment: `USER ${body.User}` };
    case 'STOPSIGNAL': {
      const sig = word(ins.args);
      if (!/^(SIG)?[A-Z0-9+-]{1,12}$|^[0-9]{1,2}$/.test(sig)) throw new InstructionError(`STOPSIGNAL: invalid signal ${JSON.stringify(sig)}`);
      body.StopSignal = sig;
      return { body, comment: `STOPSIGNAL ${sig}` };
    }
    case 'HEALTHCHECK': {
      body.Healthcheck = healthcheck(ins, state);
      return { body, comment: healthcheckComment(body.Healthcheck) };
    }
    case 'ONBUILD': {
      const trigger = ins.trigger!.replace(/^\s*(\S+)/, (w) => w.toUpperCase());
      body.OnBuild = [...(body.OnBuild ?? []), trigger];
      return { body, comment: `ONBUILD ${trigger}` };
    }
    case 'SHELL': {
      if (!ins.json || ins.json.length === 0) throw new InstructionError('SHELL requires the arguments to be in JSON form: SHELL ["executable", "parameters"]');
      body.Shell = ins.json;
      return { body, comment: `SHELL [${ins.json.join(' ')}]` };
    }
    default:
      throw new InstructionError(`internal: ${ins.keyword} is not a config-only instruction`);
  }
}
