// A Dockerfile build, step by step, as Docker's classic builder runs it: meta ARGs, then each stage
// from its FROM (a store image, `scratch`, or an earlier stage), each instruction a step whose
// result is looked up in the cache first. Each step's state is kept as an image (host.keep), so a
// RUN has an image to run a container of and a client sees the image grow layer by layer.
import type { BuildStep, ImageConfig } from '../../protocol/types';
import { chainIds } from '../../store/ids';
import { processWord, nameValues } from './lex';
import { DockerfileError, type Instruction } from './parse';
import type { Plan, Stage } from './plan';
import { say } from './output';
import type { BuildHost } from './host';
import { runStep, type StepContext } from './steps';
import type { StageState } from './state';

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
    const ctx: StepContext = {
      host: this.host, file: this.plan.file, escape: this.plan.escape, created: () => this.created(), layerTime: this.opts.epoch ?? 0,
      buildArgs: this.opts.buildArgs, metaArgs: this.metaArgs, declared: this.declared,
      stage: (ref) => this.stages.find((s, i) => s.name === ref.toLowerCase() || String(i) === ref),
    };
    for (const ins of stage.instructions) {
      this.startStep(ins);
      const before = state.imageId;
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
      state.imageId = await this.host.keep(state.config, before);
      this.host.out.line(say.result(state.imageId));
    }
    if (state.imageId) this.host.retain(state.imageId);
    return { name: stage.name, state, steps, record };
  }
}

