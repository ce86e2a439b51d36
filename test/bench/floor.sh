#!/bin/sh
# The kernel floor: the least any engine must do to run /bin/true in a container: new
# namespaces, an overlay mount, pivot_root, exec. Usage: floor.sh LOWER_DIR
set -eu
lower=$1
work=$(mktemp -d /tmp/strata-floor-XXXXXX)
mkdir "$work/upper" "$work/work" "$work/merged"
unshare --mount --pid --uts --ipc --net --fork sh -c "
  mount --make-rprivate /
  mount -t overlay overlay -o lowerdir=$lower,upperdir=$work/upper,workdir=$work/work $work/merged
  mkdir -p $work/merged/.old
  cd $work/merged
  pivot_root . .old
  umount -l /.old
  exec /bin/true
"
rm -rf "$work"
