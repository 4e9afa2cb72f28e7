#ifndef TRELLIS_CLINUX_H
#define TRELLIS_CLINUX_H
/* Linux calls Glibc hides behind _GNU_SOURCE, wrapped with prefixed names. */
#include <sys/types.h>

int trellis_unshare_netns(void);
int trellis_setns_netns(int fd);
/* statfs(2) f_type of fd, or -1 with errno set. */
long trellis_fstatfs_type(int fd);


/* malloc_trim(0): give freed heap back to the system (after a large one-off load). */
int trellis_malloc_trim(void);

/* A batch of UDP datagrams for recvmmsg/sendmmsg (which Glibc hides behind _GNU_SOURCE).
   Each slot has an input buffer, an output buffer and the peer's address; the structs
   stay in C so Swift sees only opaque handles and byte pointers. */
typedef struct trellis_udp_batch trellis_udp_batch;
trellis_udp_batch *trellis_udp_batch_new(int slots, int in_size, int out_size);
void trellis_udp_batch_free(trellis_udp_batch *b);
/* recvmmsg(MSG_WAITFORONE) into the slots: the number received, or -1 with errno. */
int trellis_udp_batch_recv(int fd, trellis_udp_batch *b);
unsigned char *trellis_udp_batch_in(trellis_udp_batch *b, int i, int *len, int *truncated);
unsigned char *trellis_udp_batch_out(trellis_udp_batch *b, int i);
/* Slot i's reply has `len` bytes in its output buffer (0: no reply). */
void trellis_udp_batch_set_reply(trellis_udp_batch *b, int i, int len);
/* The peer address of slot i (a sockaddr_in or sockaddr_in6) and its length. */
const void *trellis_udp_batch_peer(trellis_udp_batch *b, int i, unsigned int *len);
/* sendmmsg of the replies of slots 0..<n (slots without one are skipped): the number
   sent, or -1 with errno. */
int trellis_udp_batch_send(int fd, trellis_udp_batch *b, int n);

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


/* Spawn attributes for a child with no blocked signals and default dispositions (threads of
   libdispatch and Swift concurrency block nearly every signal, and an exec'd child inherits
   the mask): POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | extra_flags. `attr` is a
   posix_spawnattr_t *. 0 or an errno. */
int trellis_spawnattr_clean_signals(void *attr, int extra_flags);

#endif
