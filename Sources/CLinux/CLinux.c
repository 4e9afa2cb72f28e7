#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "CLinux.h"

int trellis_unshare_netns(void) { return unshare(CLONE_NEWNET); }
int trellis_setns_netns(int fd) { return setns(fd, CLONE_NEWNET); }
long trellis_fstatfs_type(int fd) {
    struct statfs st;
    if (fstatfs(fd, &st) != 0) return -1;
    return (long)st.f_type;
}

int trellis_set_child_subreaper(int on) { return prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)on, 0, 0, 0); }
int trellis_is_child_subreaper(void) {
    int on = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, (unsigned long)&on, 0, 0, 0) != 0) return -1;
    return on;
}

int trellis_pidfd_open(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int trellis_pidfd_reap(int pidfd, int nohang, int *code, int *signo) {
    siginfo_t info = {0};
    int rc;
    do {
        rc = waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED | (nohang ? WNOHANG : 0));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return -1;
    if (info.si_pid == 0) return 0;  /* WNOHANG and still running */
    if (info.si_code == CLD_EXITED) { *code = info.si_status; *signo = 0; }
    else { *code = 128 + info.si_status; *signo = info.si_status; }
    return 1;
}

int trellis_spawn_addchdir(void *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np((posix_spawn_file_actions_t *)actions, path);
}
