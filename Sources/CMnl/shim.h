#ifndef TRELLIS_CMNL_SHIM_H
#define TRELLIS_CMNL_SHIM_H
/* glibc first: linux/libc-compat.h then skips its own in6_addr/sockaddr_in6, which would
   otherwise clash with SwiftGlibc's definitions in any module importing both. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <linux/if.h>
#include <linux/genetlink.h>
#include <sys/socket.h>

/* Macros Swift cannot import, as prefixed inline functions. */
static inline size_t trellis_mnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }
/* Not a _Static_assert: the macro calls sysconf(_SC_PAGESIZE), so it is not a constant
   expression (min(page size, 8192): 4096 on x86-64). */

static inline unsigned int trellis_nlmsg_align(unsigned int len) { return NLMSG_ALIGN(len); }
static inline unsigned int trellis_rta_align(unsigned int len) { return RTA_ALIGN(len); }

/* Wire sizes the Swift encoders rely on (Netlink/Message.swift). */
_Static_assert(sizeof(struct ifinfomsg) == 16, "ifinfomsg");
_Static_assert(sizeof(struct ifaddrmsg) == 8, "ifaddrmsg");
_Static_assert(sizeof(struct rtmsg) == 12, "rtmsg");
_Static_assert(sizeof(struct ndmsg) == 12, "ndmsg");
_Static_assert(sizeof(struct nlmsgerr) == 20, "nlmsgerr");
_Static_assert(sizeof(struct bridge_vlan_info) == 4, "bridge_vlan_info");

/* Extended-ack socket options and flags (linux/netlink.h), kept as functions so the Swift
   side never depends on whether a given header version spells them as macros or enums. */
static inline int trellis_netlink_ext_ack(void) { return NETLINK_EXT_ACK; }
static inline int trellis_netlink_cap_ack(void) { return NETLINK_CAP_ACK; }
static inline unsigned short trellis_nlm_f_capped(void) { return NLM_F_CAPPED; }
static inline unsigned short trellis_nlm_f_ack_tlvs(void) { return NLM_F_ACK_TLVS; }
static inline unsigned int trellis_rtext_filter_skip_stats(void) { return RTEXT_FILTER_SKIP_STATS; }

#endif
