#define _GNU_SOURCE
#include <sched.h>
#include <sys/vfs.h>
#include "CLinux.h"

int trellis_unshare_netns(void) { return unshare(CLONE_NEWNET); }
int trellis_setns_netns(int fd) { return setns(fd, CLONE_NEWNET); }
long trellis_fstatfs_type(int fd) {
    struct statfs st;
    if (fstatfs(fd, &st) != 0) return -1;
    return (long)st.f_type;
}
