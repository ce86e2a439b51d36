// The build's plan, as Docker's classic builder makes it from the instructions: the ARGs before
// the first FROM (meta args, seen only by FROM lines and by stages that declare them again), the
// stages (`FROM image [AS name]`), cut after the --target stage, and the step count that
// `Step n/m` prints (meta args, one FROM per stage, and each stage's instructions).
import { DockerfileError, type Dockerfile, type Instruction } from './parse';

export interface Stage {
  /** Its position among the stages (what `COPY --from=0` names). */
  index: number;
  /** `AS name`, lower case as Docker keeps it. */
  name: string | null;
  from: Instruction;
  /** FROM's image, still to be expanded with the meta args. */
  base: string;
  instructions: Instruction[];
}

export interface Plan {
  metaArgs: Instruction[];
  stages: Stage[];
  totalSteps: number;
  file: string;
  escape: string;
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function stageOf(from: Instruction, index: number, file: string): Stage {
  const words = from.args.split(/\s+/);
  if (words.length !== 1 && !(words.length === 3 && words[1].toUpperCase() === 'AS')) {
    throw new DockerfileError(file, from.line, 'FROM requires either one or three arguments (FROM image [AS name])');
  }
  const name = words.length === 3 ? words[2].toLowerCase() : null;
  if (name !== null && !STAGE_NAME.test(name)) throw new DockerfileError(file, from.line, `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
  return { index, name, from, base: words[0], instructions: [] };
}

export function makePlan(df: Dockerfile, file: string, target?: string): Plan {
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of df.instructions) {
    if (ins.keyword === 'FROM') {
      const stage = stageOf(ins, stages.length, file);
      if (stage.name && stages.some((s) => s.name === stage.name)) throw new DockerfileError(file, ins.line, `duplicate name ${stage.name}`);
      stages.push(stage);
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new DockerfileError(file, ins.line, `${ins.keyword} before the first FROM: a Dockerfile must begin with FROM (or ARG)`);
      metaArgs.push(ins);
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  if (stages.length === 0) throw new DockerfileError(file, df.instructions[df.instructions.length - 1].line, 'no FROM: a Dockerfile needs at least one stage');
  let kept = stages;
  if (target !== undefined) {
    const at = stages.findIndex((s) => s.name === target.toLowerCase());
    if (at < 0) throw new Error(`failed to reach build target ${target} in Dockerfile`);
    kept = stages.slice(0, at + 1);
  }
  const totalSteps = metaArgs.length + kept.reduce((n, s) => n + 1 + s.instructions.length, 0);
  return { metaArgs, stages: kept, totalSteps, file, escape: df.escape };
}
