#ifndef TRELLIS_CMNL_SHIM_H
#define TRELLIS_CMNL_SHIM_H
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
#include <net/if.h>
#include <sys/socket.h>

/* Macros Swift cannot import, as prefixed inline functions. */
static inline size_t trellis_mnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }
_Static_assert(MNL_SOCKET_BUFFER_SIZE >= 8192, "libmnl buffer size");

static inline unsigned int trellis_nlmsg_align(unsigned int len) { return NLMSG_ALIGN(len); }
static inline unsigned int trellis_rta_align(unsigned int len) { return RTA_ALIGN(len); }

#endif
