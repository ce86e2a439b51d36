// The build's output, in the words of Docker's classic builder (builder/dockerfile/build.go and
// internals.go), so that a person and a script read it as they read `docker build`'s.
export interface BuildOutput {
  /** A line of the builder's own (Step, --->, Successfully ...). */
  line(text: string): void;
  /** A RUN's output, as the command printed it. */
  data(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** A step starts (for a client that marks it: VS Code's terminal and diagnostics). */
  step(n: number, total: number, original: string, line: number): void;
}

export function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export const say = {
  step: (n: number, total: number, original: string) => `Step ${n}/${total} : ${original}`,
  cached: ' ---> Using cache',
  result: (id: string | null) => ` ---> ${id ? short(id) : ''}`,
  running: (containerId: string) => ` ---> Running in ${short(containerId)}`,
  removing: (containerId: string) => `Removing intermediate container ${short(containerId)}`,
  built: (id: string) => `Successfully built ${short(id)}`,
  tagged: (name: string) => `Successfully tagged ${name}`,
  /** moby's dispatchers.go, RUN: the command as it ran and its exit code. */
  failed: (cmd: string[], code: number) => `The command '${cmd.join(' ')}' returned a non-zero code: ${code}`,
  unusedArgs: (names: string[]) => `[Warning] One or more build-args [${names.join(' ')}] were not consumed`,
};
