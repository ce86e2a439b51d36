// The kernel floor for a container run, in C: the least any engine must do to run /bin/true in a
// container (new namespaces, an overlay mount, pivot_root, exec, wait), with no engine around it.
// Usage: floor LOWER_DIR WORK_DIR (WORK_DIR empty; upper/, work/ and merged/ are made in it).
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: floor LOWER_DIR WORK_DIR\n"); return 2; }
  char upper[4096], work[4096], merged[4096], opts[16384], old[4200];
  snprintf(upper, sizeof upper, "%s/upper", argv[2]);
  snprintf(work, sizeof work, "%s/work", argv[2]);
  snprintf(merged, sizeof merged, "%s/merged", argv[2]);
  if (mkdir(upper, 0755) || mkdir(work, 0755) || mkdir(merged, 0755)) die("mkdir");
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)) die("unshare");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make-rprivate");
    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", argv[1], upper, work);
    if (mount("overlay", merged, "overlay", 0, opts)) die("mount overlay");
    snprintf(old, sizeof old, "%s/.old", merged);
    mkdir(old, 0700);
    if (chdir(merged)) die("chdir");
    if (syscall(SYS_pivot_root, ".", ".old")) die("pivot_root");
    if (umount2("/.old", MNT_DETACH)) die("umount old root");
    execl("/bin/true", "true", (char *)NULL);
    die("exec");
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
