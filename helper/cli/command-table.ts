// Every `strata` command by name, in the order `strata --help` lists them, each with how to load
// it. A command's module is imported only when that command runs: esbuild turns each import() into
// a lazy initialiser inside the one bundle, so `strata images` does not run the top-level code of
// `build` or `push`, nor load the Node modules only they need (test/bench/README.md, "The CLI").
import type { Command } from './command';

export const COMMANDS: [name: string, load: () => Promise<Command>][] = [
  ['run', async () => (await import('./commands/run')).run],
  ['create', async () => (await import('./commands/run')).create],
  ['start', async () => (await import('./commands/run')).start],
  ['attach', async () => (await import('./commands/run')).attach],
  ['exec', async () => (await import('./commands/exec')).exec],
  ['ps', async () => (await import('./commands/ps')).ps],
  ['top', async () => (await import('./commands/top')).top],
  ['stats', async () => (await import('./commands/stats')).stats],
  ['logs', async () => (await import('./commands/logs')).logs],
  ['rename', async () => (await import('./commands/containers')).rename],
  ['stop', async () => (await import('./commands/containers')).stop],
  ['restart', async () => (await import('./commands/containers')).restart],
  ['kill', async () => (await import('./commands/containers')).kill],
  ['pause', async () => (await import('./commands/containers')).pause],
  ['unpause', async () => (await import('./commands/containers')).unpause],
  ['rm', async () => (await import('./commands/containers')).rm],
  ['wait', async () => (await import('./commands/containers')).wait],
  ['commit', async () => (await import('./commands/containers')).commit],
  ['diff', async () => (await import('./commands/containers')).diff],
  ['export', async () => (await import('./commands/archives')).exportCmd],
  ['import', async () => (await import('./commands/import')).importCmd],
  ['save', async () => (await import('./commands/archives')).save],
  ['load', async () => (await import('./commands/archives')).load],
  ['images', async () => (await import('./commands/images')).images],
  ['history', async () => (await import('./commands/images')).history],
  ['inspect', async () => (await import('./commands/inspect')).inspect],
  ['tag', async () => (await import('./commands/images')).tag],
  ['rmi', async () => (await import('./commands/images')).rmi],
  ['busybox', async () => (await import('./commands/images')).busybox],
  ['build', async () => (await import('./commands/build')).build],
  ['debootstrap', async () => (await import('./commands/debootstrap')).debootstrap],
  ['check', async () => (await import('./commands/check')).check],
  ['version', async () => (await import('./commands/system')).version],
  ['info', async () => (await import('./commands/system')).info],
  ['push', async () => (await import('./commands/registry')).push],
  ['pull', async () => (await import('./commands/registry')).pull],
  ['login', async () => (await import('./commands/registry')).login],
  ['logout', async () => (await import('./commands/registry')).logout],
];

/** The command called `name` (a top-level verb), loaded; undefined when there is none. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  return COMMANDS.find(([n]) => n === name)?.[1]();
}

/** Every command, loaded (for `strata --help`, which lists each one's summary). */
export async function loadAllCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map(([, load]) => load()));
}
