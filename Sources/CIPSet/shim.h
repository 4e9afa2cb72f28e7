#ifndef TRELLIS_CIPSET_SHIM_H
#define TRELLIS_CIPSET_SHIM_H
#include <libipset/ipset.h>
#endif
