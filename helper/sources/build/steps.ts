// One instruction of a stage, as a step: its cache key (the parent state and the instruction as it
// will run), then, on a miss, the work: a config change (metadata.ts), a layer of copied files
// (copy.ts), a directory (WORKDIR), or a command run in a container (RUN, through the host). The
// history entry takes Docker's created_by: `<shell> #(nop)  <comment>` for config changes,
// `<shell> #(nop) COPY file:<hash> in <dest> ` for copies, the command itself (after `|N K=V` when
// build args are in scope) for RUN.
import { posix } from 'node:path';
import { stepKey } from './cache';
import { planCopy, type CopyRequest } from './copy';
import { writeCopyLayer } from './copy-write';
import { mergedStat, resolveInScope } from './chain-fs';
import type { BuildHost } from './host';
import { fixLayerTimes } from './layer-times';
import { nameValues, processWord } from './lex';
import { applyMetadata, InstructionError } from './metadata';
import { resolveOwner } from './owners';
import type { Instruction } from './parse';
import { argsInScope, nextState, shellOf, varsOf, type StageState } from './state';
import type { StageResult } from './builder';
import { join } from 'node:path';
import { promises as fs } from 'node:fs';

export interface StepContext {
  host: BuildHost;
  file: string;
  escape: string;
  created(): string;
  /** The time every entry of a layer made here gets (seconds). */
  layerTime: number;
  buildArgs: Map<string, string>;
  metaArgs: Map<string, string | null>;
  declared: Set<string>;
  /** An earlier stage, by name or index (COPY --from). */
  stage(ref: string): StageResult | undefined;
  /**
   * A stored image with the layers of `state` (a RUN's container is made of it), written only now
   * that a step needs one: a build writes no image for the steps between (Builder.runStage).
   */
  imageFor(state: StageState): Promise<string>;
}

export interface StepResult { state: StageState; key: string | null; cached: boolean }

const METADATA = new Set(['ENV', 'LABEL', 'MAINTAINER', 'CMD', 'ENTRYPOINT', 'EXPOSE', 'VOLUME', 'USER', 'STOPSIGNAL', 'HEALTHCHECK', 'ONBUILD', 'SHELL']);

/** The cached state for `key`, unless --no-cache. */
async function cached(ctx: StepContext, key: string, noCache: boolean, state: StageState): Promise<StepResult | null> {
  if (noCache) return null;
  const config = await ctx.host.cache.lookup(key);
  return config ? { state: { ...state, config, imageId: null }, key, cached: true } : null;
}

function nop(state: StageState, comment: string, twoArgs: boolean): string {
  // moby's withCmdComment ("#(nop) ", comment: two words) and withCmdCommentString (one word).
  return `${shellOf(state).join(' ')} #(nop) ${twoArgs ? ' ' : ''}${comment}`;
}

function argStep(ctx: StepContext, ins: Instruction, state: StageState): { state: StageState; comment: string } {
  const args = new Map(state.args);
  const parts: string[] = [];
  for (const { key, value } of nameValues(ins.args, 'ARG', ctx.escape)) {
    ctx.declared.add(key);
    const def = value === null ? null : processWord(value, varsOf(state), ctx.escape);
    const meta = ctx.metaArgs.get(key);
    args.set(key, ctx.buildArgs.get(key) ?? def ?? meta ?? null);
    parts.push(def === null ? key : `${key}=${def}`);
  }
  return { state: { ...state, args }, comment: `ARG ${parts.join(' ')}` };
}

function layerMeta(ctx: StepContext, createdBy: string) {
  return { created: ctx.created(), createdBy };
}

async function withStage<T>(ctx: StepContext, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await ctx.host.stage();
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function workdirStep(ctx: StepContext, ins: Instruction, state: StageState, noCache: boolean): Promise<StepResult> {
  const word = processWord(ins.args, varsOf(state), ctx.escape);
  const path = posix.resolve(state.config.config.WorkingDir || '/', word);
  const createdBy = nop(state, `WORKDIR ${path}`, false);
  const key = stepKey(state.config, createdBy);
  const hit = await cached(ctx, key, noCache, state);
  if (hit) return hit;
  const body = { ...state.config.config, WorkingDir: path };
  const dirs = ctx.host.layerDirs(state.config);
  const rel = await resolveInScope(dirs, path, true);
  const exists = rel === '.' || (await mergedStat(dirs, rel))?.entry.kind === 'dir';
  let diffId: string | null = null;
  if (!exists) {
    diffId = await withStage(ctx, async (stage) => {
      const layer = join(stage, 'layer');
      await fs.mkdir(layer, { mode: 0o755 });
      await fs.mkdir(join(layer, Buffer.from(rel, 'latin1').toString('utf8')), { recursive: true, mode: 0o755 });
      await fixLayerTimes(layer, ctx.layerTime);
      return ctx.host.adoptLayer(layer, state.config, layerMeta(ctx, createdBy));
    });
  }
  return { state: nextState(state, body, { created: ctx.created(), created_by: createdBy }, diffId), key, cached: false };
}

function flagValue(ins: Instruction, name: string): string | undefined {
  const f = ins.flags.find((x) => x.name === name);
  return f ? f.value ?? '' : undefined;
}

async function copyStep(ctx: StepContext, ins: Instruction, state: StageState, noCache: boolean): Promise<StepResult> {
  const vars = varsOf(state);
  const words = (ins.json ?? ins.args.split(/\s+/)).map((w) => (ins.json ? w : processWord(w, vars, ctx.escape)));
  if (words.length < 2) throw new InstructionError(`${ins.keyword} requires at least two arguments, but got ${words.length}`);
  const from = flagValue(ins, 'from');
  const chown = flagValue(ins, 'chown');
  const chmod = flagValue(ins, 'chmod');
  let fromDirs = [ctx.host.contextDir];
  if (from !== undefined) {
    const ref = processWord(from, vars, ctx.escape);
    const stage = ctx.stage(ref);
    fromDirs = ctx.host.layerDirs(stage ? stage.state.config : ctx.host.image(ref).config);
  }
  const destDirs = ctx.host.layerDirs(state.config);
  if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) throw new InstructionError(`invalid --chmod=${chmod}: an octal mode (e.g. 644, 0755)`);
  const owner = chown ? await resolveOwner(processWord(chown, vars, ctx.escape), destDirs) : null;
  const req: CopyRequest = {
    keyword: ins.keyword as 'COPY' | 'ADD', sources: words.slice(0, -1), dest: words[words.length - 1], workdir: state.config.config.WorkingDir || '/',
    fromDirs, fromContext: from === undefined, destDirs, owner, chmod: chmod === undefined ? null : parseInt(chmod, 8),
  };
  for (const s of req.sources) if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw new InstructionError(`${ins.keyword} from a URL (${s}) is not supported: a build reads only its context`);
  const plan = await planCopy(req);
  // moby's performCopy: "%s %s%s in %s " with "--chown=<as written, expanded>" glued to the hash
  // (no space: Docker's own history reads `COPY --chown=1000:1000file:<hash> in /dst `).
  const chownComment = chown ? `--chown=${processWord(chown, vars, ctx.escape)}` : '';
  const createdBy = nop(state, `${ins.keyword} ${chownComment}${plan.sourceHash} in ${plan.dest} `, false);
  const key = stepKey(state.config, createdBy);
  const hit = await cached(ctx, key, noCache, state);
  if (hit) return hit;
  const diffId = await withStage(ctx, async (stage) => {
    const layer = join(stage, 'layer');
    await fs.mkdir(layer, { mode: 0o755 });
    await writeCopyLayer(plan, layer, destDirs, owner, stage);
    await fixLayerTimes(layer, ctx.layerTime);
    return ctx.host.adoptLayer(layer, state.config, layerMeta(ctx, createdBy));
  });
  return { state: nextState(state, { ...state.config.config }, { created: ctx.created(), created_by: createdBy }, diffId), key, cached: false };
}

async function runInstruction(ctx: StepContext, ins: Instruction, state: StageState, noCache: boolean): Promise<StepResult> {
  const cmd = ins.json ?? [...shellOf(state), ins.args];
  const args = [...argsInScope(state)].map(([k, v]) => `${k}=${v}`).sort();
  // moby's prependEnvOnCmd: the build args a RUN saw are part of what it was (and of its cache key).
  const createdBy = args.length ? `|${args.length} ${args.join(' ')} ${cmd.join(' ')}` : cmd.join(' ');
  const key = stepKey(state.config, createdBy);
  const hit = await cached(ctx, key, noCache, state);
  if (hit) return hit;
  const body = state.config.config;
  if (body.User && !/^[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})?$/.test(body.User)) throw new InstructionError(`USER ${body.User}: a RUN needs a user name or uid[:gid]`);
  const diffId = await ctx.host.run({
    imageId: await ctx.imageFor(state), cmd, env: [...(body.Env ?? []), ...args], workdir: body.WorkingDir || '/', user: body.User || '', createdBy, created: ctx.created(),
  });
  return { state: nextState(state, { ...body }, { created: ctx.created(), created_by: createdBy }, diffId), key, cached: false };
}

/** One instruction of a stage (not FROM): the state it makes, its cache key, and whether it came from the cache. */
export async function runStep(ctx: StepContext, ins: Instruction, state: StageState, noCache: boolean): Promise<StepResult> {
  if (ins.keyword === 'ARG') {
    const { state: next, comment } = argStep(ctx, ins, state);
    const createdBy = nop(next, comment, true);
    const key = stepKey(state.config, createdBy);
    const hit = await cached(ctx, key, noCache, next);
    if (hit) return hit;
    return { state: nextState(next, { ...next.config.config }, { created: ctx.created(), created_by: createdBy }, null), key, cached: false };
  }
  if (METADATA.has(ins.keyword)) {
    const { body, comment, author } = applyMetadata(ins, state, varsOf(state), ctx.escape);
    // moby commits the config as the instruction leaves it, and takes the #(nop) prefix's shell from
    // there: after SHELL ["/bin/sh", "-ec"] the entry reads `/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]`.
    const createdBy = nop({ ...state, config: { ...state.config, config: body } }, comment, true);
    const key = stepKey(state.config, createdBy);
    const after = { ...state, cmdSet: state.cmdSet || ins.keyword === 'CMD' };
    const hit = await cached(ctx, key, noCache, after);
    if (hit) return hit;
    const next = nextState(after, body, { created: ctx.created(), created_by: createdBy }, null);
    if (author) next.config.author = author;
    return { state: next, key, cached: false };
  }
  if (ins.keyword === 'WORKDIR') return workdirStep(ctx, ins, state, noCache);
  if (ins.keyword === 'COPY' || ins.keyword === 'ADD') return copyStep(ctx, ins, state, noCache);
  if (ins.keyword === 'RUN') return runInstruction(ctx, ins, state, noCache);
  throw new InstructionError(`${ins.keyword} is not supported`);
}

