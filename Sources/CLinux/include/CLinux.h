#ifndef TRELLIS_CLINUX_H
#define TRELLIS_CLINUX_H
/* Linux calls Glibc hides behind _GNU_SOURCE, wrapped with prefixed names. */
#include <sys/types.h>

int trellis_unshare_netns(void);
int trellis_setns_netns(int fd);
/* statfs(2) f_type of fd, or -1 with errno set. */
long trellis_fstatfs_type(int fd);

#endif
