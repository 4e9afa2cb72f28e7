#define _GNU_SOURCE
#include <sched.h>
#include <sys/vfs.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

int trellis_malloc_trim(void) { return malloc_trim(0); }

struct trellis_udp_batch {
    int slots, in_size, out_size;
    struct mmsghdr *in_msgs, *out_msgs;
    struct iovec *in_iov, *out_iov;
    struct sockaddr_in6 *peers;
    int *reply_len;
    unsigned char *in_buf, *out_buf;
};

trellis_udp_batch *trellis_udp_batch_new(int slots, int in_size, int out_size) {
    trellis_udp_batch *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    b->slots = slots; b->in_size = in_size; b->out_size = out_size;
    b->in_msgs = calloc(slots, sizeof(struct mmsghdr));
    b->out_msgs = calloc(slots, sizeof(struct mmsghdr));
    b->in_iov = calloc(slots, sizeof(struct iovec));
    b->out_iov = calloc(slots, sizeof(struct iovec));
    b->peers = calloc(slots, sizeof(struct sockaddr_in6));
    b->reply_len = calloc(slots, sizeof(int));
    b->in_buf = calloc(slots, in_size);
    b->out_buf = calloc(slots, out_size);
    if (!b->in_msgs || !b->out_msgs || !b->in_iov || !b->out_iov || !b->peers || !b->reply_len || !b->in_buf || !b->out_buf) {
        trellis_udp_batch_free(b);
        return NULL;
    }
    return b;
}

void trellis_udp_batch_free(trellis_udp_batch *b) {
    if (!b) return;
    free(b->in_msgs); free(b->out_msgs); free(b->in_iov); free(b->out_iov);
    free(b->peers); free(b->reply_len); free(b->in_buf); free(b->out_buf); free(b);
}

int trellis_udp_batch_recv(int fd, trellis_udp_batch *b) {
    for (int i = 0; i < b->slots; i++) {
        b->in_iov[i].iov_base = b->in_buf + (size_t)i * b->in_size;
        b->in_iov[i].iov_len = b->in_size;
        memset(&b->in_msgs[i].msg_hdr, 0, sizeof(struct msghdr));
        b->in_msgs[i].msg_hdr.msg_iov = &b->in_iov[i];
        b->in_msgs[i].msg_hdr.msg_iovlen = 1;
        b->in_msgs[i].msg_hdr.msg_name = &b->peers[i];
        b->in_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
        b->in_msgs[i].msg_len = 0;
        b->reply_len[i] = 0;
    }
    int n;
    do { n = recvmmsg(fd, b->in_msgs, b->slots, MSG_WAITFORONE, NULL); } while (n < 0 && errno == EINTR);
    return n;
}

unsigned char *trellis_udp_batch_in(trellis_udp_batch *b, int i, int *len, int *truncated) {
    *len = (int)b->in_msgs[i].msg_len;
    *truncated = (b->in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    return b->in_buf + (size_t)i * b->in_size;
}

unsigned char *trellis_udp_batch_out(trellis_udp_batch *b, int i) {
    return b->out_buf + (size_t)i * b->out_size;
}

void trellis_udp_batch_set_reply(trellis_udp_batch *b, int i, int len) { b->reply_len[i] = len; }

const void *trellis_udp_batch_peer(trellis_udp_batch *b, int i, unsigned int *len) {
    *len = b->in_msgs[i].msg_hdr.msg_namelen;
    return &b->peers[i];
}

int trellis_udp_batch_send(int fd, trellis_udp_batch *b, int n) {
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (b->reply_len[i] <= 0) continue;
        b->out_iov[m].iov_base = b->out_buf + (size_t)i * b->out_size;
        b->out_iov[m].iov_len = b->reply_len[i];
        memset(&b->out_msgs[m].msg_hdr, 0, sizeof(struct msghdr));
        b->out_msgs[m].msg_hdr.msg_iov = &b->out_iov[m];
        b->out_msgs[m].msg_hdr.msg_iovlen = 1;
        b->out_msgs[m].msg_hdr.msg_name = &b->peers[i];
        b->out_msgs[m].msg_hdr.msg_namelen = b->in_msgs[i].msg_hdr.msg_namelen;
        m++;
    }
    int sent = 0;
    while (sent < m) {
        int r = sendmmsg(fd, b->out_msgs + sent, m - sent, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            /* Skip the message that failed (e.g. an unreachable peer) and go on. */
            sent++;
            continue;
        }
        sent += r;
    }
    return m;
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

int trellis_spawnattr_clean_signals(void *attr, int extra_flags) {
    posix_spawnattr_t *a = (posix_spawnattr_t *)attr;
    sigset_t defaults, mask;
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    sigemptyset(&mask);
    int rc = posix_spawnattr_setsigdefault(a, &defaults);
    if (rc == 0) rc = posix_spawnattr_setsigmask(a, &mask);
    if (rc == 0) rc = posix_spawnattr_setflags(a, (short)(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | extra_flags));
    return rc;
}
