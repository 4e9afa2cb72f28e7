#ifndef TRELLIS_CLINUX_H
#define TRELLIS_CLINUX_H
/* Linux calls Glibc hides behind _GNU_SOURCE, wrapped with prefixed names. */
#include <sys/types.h>

int trellis_unshare_netns(void);
int trellis_setns_netns(int fd);
/* statfs(2) f_type of fd, or -1 with errno set. */
long trellis_fstatfs_type(int fd);

/* Sends one gratuitous ARP request (sender IP = target IP = ip, broadcast) out of interface
   ifindex in the calling thread's network namespace. 0 or -1 with errno set. */
int trellis_send_gratuitous_arp(int ifindex, const unsigned char mac[6], const unsigned char ip[4]);

#endif
