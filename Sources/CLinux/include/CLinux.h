#ifndef TRELLIS_CLINUX_H
#define TRELLIS_CLINUX_H
/* Linux calls Glibc hides behind _GNU_SOURCE, wrapped with prefixed names. */
#include <sys/types.h>

int trellis_unshare_netns(void);
int trellis_setns_netns(int fd);
/* statfs(2) f_type of fd, or -1 with errno set. */
long trellis_fstatfs_type(int fd);

/* prctl(PR_SET_CHILD_SUBREAPER, on): orphaned descendants are re-parented to this process. */
int trellis_set_child_subreaper(int on);
/* prctl(PR_GET_CHILD_SUBREAPER): 1, 0, or -1 with errno set. */
int trellis_is_child_subreaper(void);
/* pidfd_open(2) with no flags. */
int trellis_pidfd_open(int pid);
/* waitid(P_PIDFD, pidfd, WEXITED [| WNOHANG]), looping on EINTR: 1 when reaped (code = exit code,
   or 128 + signal with signo set), 0 when WNOHANG found it running, -1 with errno set. */
int trellis_pidfd_reap(int pidfd, int nohang, int *code, int *signo);
/* posix_spawn_file_actions_addchdir_np(3); `actions` is a posix_spawn_file_actions_t *. */
int trellis_spawn_addchdir(void *actions, const char *path);

#endif
