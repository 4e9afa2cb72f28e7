#ifndef TRELLIS_CBPF_SHIM_H
#define TRELLIS_CBPF_SHIM_H
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#endif
