// A Dockerfile build, step by step, as Docker's classic builder runs it: meta ARGs, then each stage
// from its FROM (a store image, `scratch`, or an earlier stage), each instruction a step whose
// result is looked up in the cache first. An image is written only where one is needed: for a RUN
// that runs (a container is made of an image; the one written for the RUN before it goes then) and
// for each stage's result. The steps between, and every cached step, write nothing: a step's
// " ---> id" is the id its image would have (the store names an image by its config's sha256).
// Writing and removing an fsynced image record per step was most of a fully cached build's time.
import type { BuildStep, ImageConfig } from '../../protocol/types';
import { chainIds, configId } from '../../store/ids';
import { processWord, nameValues } from './lex';
import { DockerfileError, type Instruction } from './parse';
import type { Plan, Stage } from './plan';
import { say } from './output';
import type { BuildHost } from './host';
import { runStep, type StepContext } from './steps';
import { sameLayers, type StageState } from './state';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuildOptions {
  buildArgs: Map<string, string>;
  noCache: boolean;
  /** SOURCE_DATE_EPOCH: the build's times (history, layer entries); null: now, and 0 in layers. */
  epoch: number | null;
}

export interface StageResult { name: string | null; state: StageState; steps: Map<string, ImageConfig>; record: BuildStep[] }

function scratch(created: string): ImageConfig {
  return { created, architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

export class Builder {
  private n = 0;
  private readonly declared = new Set<string>();
  private readonly metaArgs = new Map<string, string | null>();
  readonly stages: StageResult[] = [];

  constructor(private readonly host: BuildHost, private readonly plan: Plan, private readonly opts: BuildOptions) {}

  private created(): string {
    return new Date(this.opts.epoch === null ? Date.now() : this.opts.epoch * 1000).toISOString();
  }

  private fail(ins: Instruction, err: unknown): never {
    // The engine's own errors (a RUN's exit, a cancel) go as they are; the rest is about this line.
    if (err instanceof DockerfileError || (err instanceof Error && err.name === 'StrataError') || !(err instanceof Error)) throw err;
    throw new DockerfileError(this.plan.file, ins.line, err.message);
  }

  private startStep(ins: Instruction): void {
    if (this.host.signal.aborted) throw this.host.signal.reason;
    this.n++;
    this.host.out.step(this.n, this.plan.totalSteps, ins.original, ins.line);
    this.host.out.line(say.step(this.n, this.plan.totalSteps, ins.original));
  }

  /** Runs the plan; the stages' results, the target (last) one last. */
  async run(): Promise<StageResult[]> {
    for (const ins of this.plan.metaArgs) {
      this.startStep(ins);
      try {
        for (const { key, value } of nameValues(ins.args, 'ARG', this.plan.escape)) {
          this.declared.add(key);
          const vars = new Map([...this.metaArgs].filter((e): e is [string, string] => e[1] !== null));
          this.metaArgs.set(key, this.opts.buildArgs.get(key) ?? (value === null ? null : processWord(value, vars, this.plan.escape)));
        }
      } catch (err) { this.fail(ins, err); }
    }
    for (const stage of this.plan.stages) this.stages.push(await this.runStage(stage));
    return this.stages;
  }

  /** Build args given that no ARG declared (Docker warns about them). */
  unusedArgs(): string[] {
    return [...this.opts.buildArgs.keys()].filter((k) => !this.declared.has(k)).sort();
  }

  private async fromState(stage: Stage): Promise<StageState> {
    const vars = new Map([...this.metaArgs].filter((e): e is [string, string] => e[1] !== null));
    let ref: string;
    try { ref = processWord(stage.base, vars, this.plan.escape); } catch (err) { this.fail(stage.from, err); }
    if (!ref) throw new DockerfileError(this.plan.file, stage.from.line, `base name (${stage.base}) should not be blank`);
    const earlier = this.stages.find((s, i) => s.name === ref.toLowerCase() || String(i) === ref);
    let config: ImageConfig;
    let imageId: string | null = null;
    if (earlier) {
      config = earlier.state.config;
      imageId = earlier.state.imageId;
    } else if (ref === 'scratch') {
      config = scratch(this.created());
    } else {
      try {
        ({ id: imageId, config } = this.host.image(ref));
      } catch (err) {
        throw new DockerfileError(this.plan.file, stage.from.line, `pull access denied for ${ref}: Strata builds FROM images in its store only (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    const env = config.config.Env ?? [];
    const body = env.some((e) => e.startsWith('PATH=')) ? { ...config.config } : { ...config.config, Env: [...env, DEFAULT_PATH] };
    // imageId: an image with these layers (what a RUN's container is made of; it gets the state's
    // own env, user and workdir), and what `---> id` prints for FROM, as Docker prints the base's.
    return { config: { ...config, config: body }, imageId, args: new Map(), cmdSet: false };
  }

  private async runStage(stage: Stage): Promise<StageResult> {
    this.startStep(stage.from);
    let state = await this.fromState(stage);
    this.host.out.line(say.result(state.imageId));
    const steps = new Map<string, ImageConfig>();
    const record: BuildStep[] = [];
    // The image this stage last wrote (for a RUN), and its config: a later RUN on the same layers
    // runs on it too; it goes when the stage writes its next one.
    let written = null as { id: string; config: ImageConfig } | null; // (no narrowing to null: imageFor sets it)
    const imageFor = async (s: StageState): Promise<string> => {
      if (s.imageId) return s.imageId;
      if (written && sameLayers(written.config, s.config)) return written.id;
      const id = await this.host.keep(s.config, written?.id ?? null);
      written = { id, config: s.config };
      return id;
    };
    const ctx: StepContext = {
      host: this.host, file: this.plan.file, escape: this.plan.escape, created: () => this.created(), layerTime: this.opts.epoch ?? 0,
      buildArgs: this.opts.buildArgs, metaArgs: this.metaArgs, declared: this.declared,
      stage: (ref) => this.stages.find((s, i) => s.name === ref.toLowerCase() || String(i) === ref),
      imageFor,
    };
    for (const ins of stage.instructions) {
      this.startStep(ins);
      let made: { state: StageState; key: string | null; cached: boolean };
      try {
        made = await runStep(ctx, ins, state, this.opts.noCache);
      } catch (err) { this.fail(ins, err); }
      if (made.cached) this.host.out.line(say.cached);
      const layers = chainIds(made.state.config.rootfs.diff_ids);
      const added = layers.length > state.config.rootfs.diff_ids.length ? layers[layers.length - 1] : null;
      record.push({ line: ins.line, instruction: ins.original, layer: added, cached: made.cached });
      state = made.state;
      if (made.key) steps.set(made.key, state.config);
      this.host.out.line(say.result(state.imageId ?? configId(state.config)));
    }
    // The stage's result, exactly its config (a stage of FROM alone is the image it names).
    if (stage.instructions.length) {
      const id = await this.host.keep(state.config, written?.id ?? null);
      state = { ...state, imageId: id };
    }
    if (state.imageId) this.host.retain(state.imageId);
    return { name: stage.name, state, steps, record };
  }
}

