#define _GNU_SOURCE
#include <sched.h>
#include <sys/vfs.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
#include "CLinux.h"

int trellis_unshare_netns(void) { return unshare(CLONE_NEWNET); }
int trellis_setns_netns(int fd) { return setns(fd, CLONE_NEWNET); }
long trellis_fstatfs_type(int fd) {
    struct statfs st;
    if (fstatfs(fd, &st) != 0) return -1;
    return (long)st.f_type;
}

int trellis_send_gratuitous_arp(int ifindex, const unsigned char mac[6], const unsigned char ip[4]) {
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    if (fd < 0) return -1;
    /* RFC 826 request: htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4, oper 1. */
    unsigned char packet[28] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
    memcpy(packet + 8, mac, 6);
    memcpy(packet + 14, ip, 4);
    memset(packet + 18, 0, 6);
    memcpy(packet + 24, ip, 4);
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    memset(to.sll_addr, 0xff, 6);
    ssize_t n = sendto(fd, packet, sizeof packet, 0, (struct sockaddr *)&to, sizeof to);
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)sizeof packet ? 0 : -1;
}
