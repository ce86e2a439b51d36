// The Dockerfiles test/interop/build.test.ts builds with Docker's classic builder and with Strata,
// each with its context, the command that looks inside the built image, and facts Docker's own
// layers must hold (so that a comparison that passes has compared something).
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export interface BuildCase {
  name: string;
  dockerfile: string;
  buildArgs: string[];
  /** Writes the context (the Dockerfile included) into `dir`; `scratch` is a folder of its own. */
  writeContext(dir: string, scratch: string): void;
  /** The arguments of `run IMAGE ...` that print what the image holds. */
  look: string[];
  /** Lines (support-layers.ts layerLines) that Docker's layers hold. */
  facts: string[];
  /** Lines no layer of Docker's holds. */
  absent: string[];
  /** History lines (`empty|layer created_by`, hashes as `<sha256>`) Docker writes. */
  history: string[];
  /** Config fields compared besides Env, Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts. */
  moreFields: string[];
}

function writer(dir: string) {
  const write = (path: string, text: string, mode: number) => { writeFileSync(path, text); chmodSync(path, mode); };
  return { write, put: (rel: string, text: string, mode = 0o644) => write(join(dir, rel), text, mode) };
}

/** A tar of a small tree, made by GNU tar (`gzip` true: .tgz), for ADD to unpack. */
function tarOf(scratch: string, out: string, gzip: boolean, files: Record<string, [string, number]>): void {
  const tree = join(scratch, 'tree');
  for (const [rel, [text, mode]] of Object.entries(files)) {
    mkdirSync(join(tree, rel, '..'), { recursive: true });
    writer(tree).put(rel, text, mode);
  }
  execFileSync('tar', ['--owner=0', '--group=0', gzip ? '-czf' : '-cf', out, '-C', tree, '.']);
}

export const APP: BuildCase = {
  name: 'app',
  dockerfile: `FROM bb:base AS builder
ARG VERSION=1
RUN mkdir -p /out && echo "built $VERSION" > /out/artifact && chmod 0640 /out/artifact

FROM bb:base
ARG VERSION=1
ENV APP_HOME=/app GREETING="hello world"
LABEL org.example.name="interop" org.example.version=$VERSION
WORKDIR /tmp
WORKDIR $APP_HOME
COPY hello.txt script.sh ./
COPY dir/ /app/dir/
COPY hello.txt /srv/deep/er/
ADD archive.tar /opt/unpacked/
ADD plain.txt /opt/plain.txt
RUN rm /bin/vi /etc/motd && rm -r /usr/sbin && mkdir /usr/sbin && echo again > /usr/sbin/again && ln -s /app/hello.txt /usr/sbin/hello-link && ln /app/hello.txt /app/hard && chmod 0750 /app/script.sh
RUN true
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && mkdir -p /home/app && chown 1000:1000 /home/app
COPY --chown=1000:1000 hello.txt /home/app/owned.txt
COPY --from=builder /out/artifact /app/artifact
USER app
RUN echo "$GREETING $VERSION" > /home/app/greeting && id -u > /home/app/uid
EXPOSE 8080 53/udp
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo $GREETING"]
`,
  buildArgs: ['VERSION=2'],
  writeContext(dir, scratch) {
    const { put } = writer(dir);
    mkdirSync(join(dir, 'dir/sub'), { recursive: true });
    put('Dockerfile', APP.dockerfile);
    put('hello.txt', 'hello\n');
    put('script.sh', '#!/bin/sh\necho script\n', 0o755);
    put('dir/a.txt', 'a\n');
    put('dir/sub/b.txt', 'b\n', 0o600);
    chmodSync(join(dir, 'dir/sub'), 0o750);
    symlinkSync('a.txt', join(dir, 'dir/link'));
    put('plain.txt', 'plain\n');
    tarOf(scratch, join(dir, 'archive.tar'), false, { t1: ['t1\n', 0o644], 'td/t2': ['t2\n', 0o640] });
  },
  // ENTRYPOINT ["/bin/sh", "-c"]: the one argument is the script.
  look: ['cat /home/app/greeting /home/app/uid /usr/sbin/again /app/hard; readlink /usr/sbin/hello-link; id -u; id -g; id -un; echo "$GREETING"'],
  facts: [
    'deleted /bin/vi', 'deleted /etc/motd', 'opaque /usr/sbin', 'symlink /usr/sbin/hello-link 777 0:0 -> /app/hello.txt', 'symlink /app/dir/link 777 0:0 -> a.txt',
    'hard links: /app/hard /app/hello.txt', 'file /home/app/owned.txt 644 1000:1000', 'file /app/artifact 640 0:0', 'directory /app/dir/sub 750 0:0',
    'file /opt/unpacked/td/t2 640 0:0', 'file /app/script.sh 750 0:0', 'directory /srv/deep/er 755 0:0',
  ],
  absent: [],
  history: [
    'empty /bin/sh -c #(nop)  ARG VERSION=1', 'layer /bin/sh -c #(nop) WORKDIR /app', 'empty /bin/sh -c #(nop) WORKDIR /tmp',
    'layer /bin/sh -c #(nop) ADD file:<sha256> in /opt/unpacked/ ', 'layer /bin/sh -c #(nop) COPY --chown=1000:1000file:<sha256> in /home/app/owned.txt ',
    'empty |1 VERSION=2 /bin/sh -c true', 'empty /bin/sh -c #(nop)  EXPOSE 53/udp 8080', 'layer /bin/sh -c #(nop) COPY multi:<sha256> in ./ ',
    'layer /bin/sh -c #(nop) COPY dir:<sha256> in /app/dir/ ',
  ],
  moreFields: [],
};

export const EDGES: BuildCase = {
  name: 'edges',
  dockerfile: `FROM bb:base
SHELL ["/bin/sh", "-ec"]
ENV DEST=/etc/app
COPY conf/*.conf $DEST/
COPY ignored/ /kept/
ADD bundle.tgz /opt/
COPY motd.new /etc/motd
RUN ["/bin/sh", "-c", "rm -r /var/log && mkfifo /opt/fifo && chmod 4755 /bin/busybox && chown -R 1:1 /etc/app && touch -d @1000000 /etc/app/a.conf"]
RUN echo appended >> /etc/hosts.extra && rm -rf /home && mkdir -p /home/new && ln -sf /nowhere /etc/dangling
VOLUME ["/data", "/logs"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --retries=2 CMD ["true"]
ONBUILD RUN echo child
USER 1:1
WORKDIR /srv
CMD ["sh"]
`,
  buildArgs: [],
  writeContext(dir, scratch) {
    const { put } = writer(dir);
    mkdirSync(join(dir, 'conf'));
    mkdirSync(join(dir, 'ignored'));
    put('Dockerfile', EDGES.dockerfile);
    put('.dockerignore', 'ignored\n!ignored/keep\nconf/skip.conf\n');
    put('conf/a.conf', 'one\n');
    put('conf/b.conf', 'two\n', 0o600);
    put('conf/skip.conf', 'skip\n');
    put('ignored/x', 'x\n');
    put('ignored/keep', 'keep\n');
    put('motd.new', 'replaced\n');
    tarOf(scratch, join(dir, 'bundle.tgz'), true, { top: ['top\n', 0o644], 'sub/deep': ['deep\n', 0o600] });
  },
  look: ['sh', '-c', 'cat /etc/motd /kept/keep /opt/top /etc/app/a.conf; ls /kept /etc/app /home; test -p /opt/fifo && echo fifo; test -u /bin/busybox && echo setuid; readlink /etc/dangling; id -u; id -g; pwd'],
  facts: [
    'file /etc/app/b.conf 600 1:1', 'file /kept/keep 644 0:0', 'deleted /var/log', 'fifo /opt/fifo 644 0:0', 'file /opt/sub/deep 600 0:0', 'opaque /home',
    'symlink /etc/dangling 777 0:0 -> /nowhere', 'file /bin/busybox 4755 0:0', 'file /etc/motd 644 0:0 9 ',
  ],
  absent: ['/kept/x', '/etc/app/skip.conf'],
  history: [
    'empty /bin/sh -ec #(nop)  SHELL [/bin/sh -ec]', 'layer /bin/sh -c rm -r /var/log && mkfifo /opt/fifo && chmod 4755 /bin/busybox && chown -R 1:1 /etc/app && touch -d @1000000 /etc/app/a.conf',
    'empty /bin/sh -ec #(nop)  VOLUME [/data /logs]', 'empty /bin/sh -ec #(nop)  ONBUILD RUN echo child', 'layer /bin/sh -ec #(nop) ADD file:<sha256> in /opt/ ',
  ],
  moreFields: ['Volumes', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'],
};
