// strata version and strata info, in Docker's layout, with --format over Docker's field names
// (a health check runs `docker info --format '{{.ServerVersion}}'`; scripts read
// `docker version --format '{{.Server.Version}}'`). The facts come from the helper (system.info).
import os from 'node:os';
import { formatFlag, helpFlag } from '../args';
import { type Command, type CommandContext, str } from '../command';
import { renderList } from '../docker-format';
import { bytesSize } from '../format';
import type { ListKind } from '../docker-rows';

/** Go's GOARCH for Node's arch names, as Docker's OS/Arch shows it. */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** A template over one value: --format alone, no table of rows. */
const ONE: ListKind = { defaultTable: '{{json .}}', header: {} };

function formatted(ctx: CommandContext, doc: object): boolean {
  const format = str(ctx, 'format');
  if (format === undefined || format === '') return false;
  ctx.out(renderList(format, ONE, [doc]));
  return true;
}

export const version: Command = {
  spec: {
    name: 'version', usage: '[OPTIONS]', summary: "Show the Strata version information (client and helper)",
    flags: [{ ...formatFlag, help: "Format output using a custom template: 'json' or a Go template ({{.Server.Version}})" }, helpFlag], maxArgs: 0,
  },
  async run(ctx) {
    const arch = GOARCH[os.arch()] ?? os.arch();
    const info = await (await ctx.client()).request('system.info', {});
    const doc = {
      Client: { Platform: { Name: 'Strata' }, Version: info.ServerVersion, NodeVersion: process.version, Os: 'linux', Arch: arch },
      Server: {
        Platform: { Name: 'Strata' },
        Components: [{ Name: 'Engine', Version: info.ServerVersion, Details: { Protocol: info.Strata.Protocol, ...(info.Strata.Build ? { Build: info.Strata.Build } : {}) } }],
        Version: info.ServerVersion, Os: 'linux', Arch: arch, KernelVersion: info.KernelVersion,
      },
    };
    if (formatted(ctx, doc)) return 0;
    const line = (indent: number, k: string, v: string) => `${' '.repeat(indent)}${`${k}:`.padEnd(18)} ${v}\n`;
    ctx.out([
      'Client:\n', line(1, 'Version', doc.Client.Version), line(1, 'Node version', process.version), line(1, 'OS/Arch', `linux/${arch}`),
      '\nServer: Strata\n', ' Engine:\n', line(2, 'Version', info.ServerVersion), line(2, 'Protocol', info.Strata.Protocol),
      ...(info.Strata.Build ? [line(2, 'Build', info.Strata.Build)] : []), line(2, 'OS/Arch', `linux/${arch}`), line(2, 'Kernel', info.KernelVersion),
    ].join(''));
    return 0;
  },
};

export const info: Command = {
  spec: {
    name: 'info', usage: '[OPTIONS]', summary: 'Display system-wide information',
    flags: [{ ...formatFlag, help: "Format output using a custom template: 'json' or a Go template ({{.ServerVersion}})" }, helpFlag], maxArgs: 0,
  },
  async run(ctx) {
    const i = await (await ctx.client()).request('system.info', {});
    if (formatted(ctx, i)) return 0;
    const security = i.SecurityOptions.flatMap((o) => {
      const [name, ...rest] = o.replace(/^name=/, '').split(',');
      return [`  ${name}\n`, ...rest.map((kv) => `   ${kv.replace(/^profile=/, 'Profile: ')}\n`)];
    });
    ctx.out([
      'Server:\n',
      ` Containers: ${i.Containers}\n`, `  Running: ${i.ContainersRunning}\n`, `  Paused: ${i.ContainersPaused}\n`, `  Stopped: ${i.ContainersStopped}\n`,
      ` Images: ${i.Images}\n`, ` Server Version: ${i.ServerVersion}\n`, ` Storage Driver: ${i.Driver}\n`,
      ` Cgroup Driver: ${i.CgroupDriver}\n`, ` Cgroup Version: ${i.CgroupVersion}\n`, ' Security Options:\n', ...security,
      ` Kernel Version: ${i.KernelVersion}\n`, ` Operating System: ${i.OperatingSystem}\n`, ` OSType: ${i.OSType}\n`, ` Architecture: ${i.Architecture}\n`,
      ` CPUs: ${i.NCPU}\n`, ` Total Memory: ${bytesSize(i.MemTotal)}\n`, ` Name: ${i.Name}\n`, ` Docker Root Dir: ${i.DockerRootDir}\n`,
    ].join(''));
    return 0;
  },
};
