// A container's environment, kept as Docker keeps it. The container's own list (its image's Env,
// then the -e values) is what `inspect` shows and what commit writes into the new image. A process
// gets the daemon's defaults beneath that list: PATH, HOSTNAME (the container's), and TERM=xterm
// when it has a terminal (moby's CreateDaemonEnvironment). The defaults are never stored: an image
// committed from a container would otherwise hand that container's hostname to every later one,
// whose $HOSTNAME would then disagree with `hostname`.

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** KEY=VALUE lists merged in order: a later value replaces an earlier one's in its place. */
export function mergeEnv(...lists: string[][]): string[] {
  const env = new Map<string, string>();
  for (const list of lists) for (const e of list) env.set(e.slice(0, e.indexOf('=')), e);
  return [...env.values()];
}

/** A process's environment: the daemon's defaults, then the lists given (the container's, an exec's -e). */
export function processEnv(hostname: string, tty: boolean, ...lists: string[][]): string[] {
  return mergeEnv([DEFAULT_PATH, `HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])], ...lists);
}
