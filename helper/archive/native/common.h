// Shared by the strata-xattr sources (see main.c for what the tool does and why).
#ifndef STRATA_XATTR_COMMON_H
#define STRATA_XATTR_COMMON_H
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

void die(const char *what, const char *path) __attribute__((noreturn));
void fail(const char *why, const char *path) __attribute__((noreturn));
void *xrealloc(void *p, size_t n);
char *read_all_stdin(size_t *len);
long long number(const char *s, const char *path);

// The root every path is resolved beneath (opened by the command), and the resolver.
extern int root_fd;
int try_open_parent(const char *path, const char **leaf);
int open_parent(const char *path, const char **leaf);

int cmd_walk(const char *root);
int cmd_stat(const char *root);
int cmd_cat(const char *root);
int cmd_apply(const char *root);

#endif
