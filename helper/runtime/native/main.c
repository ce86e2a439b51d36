/* strata-shim entry: subcommand dispatch and option parsing.
 *
 *   strata-shim run  [options] -- CMD ARGS...   start a container (see run.c)
 *   strata-shim exec --pid PID [options] -- CMD  join a running container (see exec.c)
 *   strata-shim overlay-check --overlay-data OPTIONS --rootfs M [--store-links D]
 *   strata-shim umount PATH
 *
 * run/exec report failures on the control channel (fd 3), never on fd 2: with no tty, fd 2 is the
 * container's stderr and the user would see the shim's words as the program's. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage_error(int use_ctl, const char *msg, const char *arg) {
  if (use_ctl) {
    ctl_report("error strata-shim: %s%s%s", msg, arg ? ": " : "", arg ? arg : "");
    ctl_report("exit %d", EXIT_SETUP);
  } else {
    fprintf(stderr, "strata-shim: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  }
  return EXIT_SETUP;
}

static int parse_number(const char *s, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max) return -1;
  *out = v;
  return 0;
}

static int parse_bind(const char *arg, struct bind_spec *b) {
  /* SRC:DST[:ro]: Strata's paths never contain ':' (the TypeScript side checks). A copy, so that
   * ps still shows the argument whole. */
  char *spec = strdup(arg);
  if (!spec) return -1;
  char *dst = strchr(spec, ':');
  if (!dst) return -1;
  *dst++ = '\0';
  char *mode = strchr(dst, ':');
  b->ro = 0;
  if (mode) {
    *mode++ = '\0';
    if (strcmp(mode, "ro") == 0) b->ro = 1;
    else if (strcmp(mode, "rw") != 0) return -1;
  }
  if (spec[0] != '/' || dst[0] != '/') return -1;
  b->src = spec;
  b->dst = dst;
  return 0;
}

enum { O_STORE = 256, O_OVERLAY, O_ROOTFS, O_BIND, O_HOSTNAME, O_NET, O_CWD, O_USER, O_ENV, O_TTY, O_CGROUP,
       O_COLS, O_ROWS, O_PID, O_CAPS, O_ALLOW_NNP, O_RLIMIT, O_INIT, O_CGROUPFS };

static const struct option longopts[] = {
    {"store-links", required_argument, 0, O_STORE}, {"overlay-data", required_argument, 0, O_OVERLAY},
    {"rootfs", required_argument, 0, O_ROOTFS},     {"bind", required_argument, 0, O_BIND},
    {"hostname", required_argument, 0, O_HOSTNAME}, {"net", required_argument, 0, O_NET},
    {"cwd", required_argument, 0, O_CWD},           {"user", required_argument, 0, O_USER},
    {"env", required_argument, 0, O_ENV},           {"tty", no_argument, 0, O_TTY},
    {"cgroup", required_argument, 0, O_CGROUP},     {"cols", required_argument, 0, O_COLS},
    {"rows", required_argument, 0, O_ROWS},         {"pid", required_argument, 0, O_PID},
    {"caps", required_argument, 0, O_CAPS},         {"allow-new-privs", no_argument, 0, O_ALLOW_NNP},
    {"rlimit", required_argument, 0, O_RLIMIT},     {"init", no_argument, 0, O_INIT},
    {"cgroupfs", required_argument, 0, O_CGROUPFS},
    {0, 0, 0, 0}};

static int parse_opts(int argc, char **argv, struct opts *o, int use_ctl) {
  memset(o, 0, sizeof *o);
  o->binds = calloc((size_t)argc, sizeof *o->binds);
  o->env = calloc((size_t)argc + 1, sizeof *o->env);
  o->cgroups = calloc((size_t)argc, sizeof *o->cgroups);
  o->rlimits = calloc((size_t)argc, sizeof *o->rlimits);
  o->cgroupfs = calloc((size_t)argc, sizeof *o->cgroupfs);
  if (!o->binds || !o->env || !o->cgroups || !o->rlimits || !o->cgroupfs) return usage_error(use_ctl, "out of memory", NULL);
  o->cwd = "/";
  o->user = "";
  o->caps = DEFAULT_CAPS;
  o->cols = 80;
  o->rows = 24;
  opterr = 0;
  optind = 1;
  long n;
  int c;
  while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
    switch (c) {
      case O_STORE: o->store_links = optarg; break;
      case O_OVERLAY: o->overlay_data = optarg; break;
      case O_ROOTFS: o->rootfs = optarg; break;
      case O_BIND:
        if (parse_bind(optarg, &o->binds[o->nbinds++]) < 0) return usage_error(use_ctl, "bad --bind (SRC:DST[:ro])", optarg);
        break;
      case O_HOSTNAME: o->hostname = optarg; break;
      case O_NET:
        if (strcmp(optarg, "host") == 0) o->net_host = 1;
        else if (strcmp(optarg, "none") == 0) o->net_host = 0;
        else return usage_error(use_ctl, "bad --net (none|host)", optarg);
        break;
      case O_CWD: o->cwd = optarg; break;
      case O_USER: o->user = optarg; break;
      case O_ENV:
        if (!strchr(optarg, '=') || optarg[0] == '=') return usage_error(use_ctl, "bad --env (K=V)", optarg);
        o->env[o->nenv++] = optarg;
        break;
      case O_TTY: o->tty = 1; break;
      case O_CGROUP: o->cgroups[o->ncgroups++] = optarg; break;
      case O_COLS:
      case O_ROWS:
        if (parse_number(optarg, 1, 65535, &n) < 0) return usage_error(use_ctl, "bad terminal size", optarg);
        if (c == O_COLS) o->cols = (unsigned short)n;
        else o->rows = (unsigned short)n;
        break;
      case O_PID:
        if (parse_number(optarg, 1, 0x7fffffff, &n) < 0) return usage_error(use_ctl, "bad --pid", optarg);
        o->target_pid = (pid_t)n;
        break;
      case O_CAPS: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(optarg, &end, 16);
        if (errno || end == optarg || *end) return usage_error(use_ctl, "bad --caps (a hex mask)", optarg);
        o->caps = v;
        break;
      }
      case O_ALLOW_NNP: o->allow_new_privs = 1; break;
      case O_RLIMIT:
        if (parse_rlimit(optarg, &o->rlimits[o->nrlimits++]) < 0) return usage_error(use_ctl, "bad --rlimit (NAME=SOFT:HARD)", optarg);
        break;
      case O_INIT: o->init = 1; break;
      case O_CGROUPFS: {
        /* NAME=CONTROLLERS or cgroup2; NAME is one path component under /sys/fs/cgroup */
        struct cgroupfs_spec *c = &o->cgroupfs[o->ncgroupfs++];
        char *spec = strdup(optarg), *eq = spec ? strchr(spec, '=') : NULL;
        if (spec && strcmp(spec, "cgroup2") == 0) {
          c->name = spec;
          c->options = NULL;
          break;
        }
        if (!eq || eq == spec || strchr(spec, '/') || spec[0] == '.' || !eq[1] || strchr(eq + 1, '/'))
          return usage_error(use_ctl, "bad --cgroupfs (NAME=CONTROLLERS or cgroup2)", optarg);
        *eq = '\0';
        c->name = spec;
        c->options = eq + 1;
        break;
      }
      default: return usage_error(use_ctl, "unknown option", argv[optind - 1]);
    }
  }
  o->argv = argv + optind;
  if (o->cwd[0] != '/') return usage_error(use_ctl, "--cwd must be absolute", o->cwd);
  return 0;
}

/* Makes sure fds 0-2 exist so that no later descriptor (a socket, a pty) lands on them. */
static void ensure_std_fds(void) {
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0) {
      int n = open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) {
        dup2(n, fd);
        close(n);
      }
    }
}

int main(int argc, char **argv) {
  ensure_std_fds();
  /* the argument strings' area, which --init's reaper rewrites (init.c) */
  if (argc > 0) {
    g_args_start = argv[0];
    g_args_end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: strata-shim run|exec|overlay-check|umount ...\n");
    return EXIT_SETUP;
  }
  const char *cmd = argv[1];
  int sub_argc = argc - 1;
  char **sub_argv = argv + 1;
  if (strcmp(cmd, "umount") == 0) return cmd_umount(sub_argc, sub_argv);
  struct opts o;
  if (strcmp(cmd, "overlay-check") == 0) {
    if (parse_opts(sub_argc, sub_argv, &o, 0)) return EXIT_SETUP;
    return cmd_overlay_check(&o);
  }
  int is_run = strcmp(cmd, "run") == 0;
  if (!is_run && strcmp(cmd, "exec") != 0) return usage_error(0, "unknown subcommand", cmd);
  /* fd 3 must be the control channel: without it a socket we create could take its number and
   * the child would close its own sync socket. */
  if (fcntl(CTL_FD, F_GETFD) < 0) return usage_error(0, "fd 3 must be the control channel", NULL);
  /* Before anything else, and while fd 3 still survives execve: the container side must run from
   * a sealed copy, never from the host's file (sealed.c, CVE-2019-5736). */
  char err[512];
  if (run_from_sealed_copy(argv, err, sizeof err) < 0) return usage_error(1, err, NULL);
  fcntl(CTL_FD, F_SETFD, FD_CLOEXEC);
  if (parse_opts(sub_argc, sub_argv, &o, 1)) return EXIT_SETUP;
  if (!o.argv[0]) return usage_error(1, "no command given after --", NULL);
  if (is_run) {
    if (!o.store_links || !o.overlay_data || !o.rootfs)
      return usage_error(1, "run needs --store-links --overlay-data --rootfs", NULL);
    return cmd_run(&o);
  }
  if (!o.target_pid) return usage_error(1, "exec needs --pid", NULL);
  return cmd_exec(&o);
}
