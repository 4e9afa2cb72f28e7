#ifndef TRELLIS_CNFTNL_SHIM_H
#define TRELLIS_CNFTNL_SHIM_H
// glibc first: linux/libc-compat.h then skips its own in_addr/sockaddr_in6, which would
// otherwise clash with SwiftGlibc's definitions in any module importing both.
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

static inline size_t trellis_nftnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }
#endif
