#!/usr/bin/env bash
# Installs everything Trellis needs to build, test and run on Debian 12. Idempotent.
set -euo pipefail

packages=(
  # C libraries the kernel interfaces link against
  libmnl-dev libnftnl-dev libbpf-dev libipset-dev libsqlite3-dev pkg-config
  # kernel tools the tests compare against and the demo uses
  iproute2 nftables iptables ipset conntrack iputils-ping util-linux procps kmod
  # the reference CNI plugins (side-by-side tests and benchmarks)
  containernetworking-plugins
  # eBPF programs (bpf/) are compiled with clang -target bpf
  clang
  # scripting helpers used by tests and the demo; curl drives the API server tests, openssl
  # makes test certificates and python3 runs the tests' TLS relay
  jq netcat-openbsd bc curl openssl python3
  # routing lab: socat carries the cross-node TCP checks, BIRD 2 is the BGP interop peer
  socat bird2
  # real etcd: the API server's etcd backend is tested against a 3-member cluster on loopback
  etcd-server
  # cluster DNS: dig drives the DNS tests; dnsperf and NSD are the benchmark's load and reference
  dnsutils dnsperf nsd
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (network namespaces and apt need it)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kubectl drives the API server tests. Machines of this kind ship v1.32; elsewhere Debian's
# kubernetes-client (an older v1.20) is the packaged one.
if ! command -v kubectl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null; }
fi

# The Swift toolchain: on this kind of machine it lives in /opt/swift.
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
  else
    echo "setup: no Swift toolchain found (need Swift 6.x on PATH or in /opt/swift)" >&2
    exit 1
  fi
fi

# Official Kubernetes 1.37 schemas: KubeAPITests check what the codecs emit with
# `kubernetes-validate --strict`. Not fatal: without it that test skips and says why.
if ! command -v kubernetes-validate >/dev/null 2>&1 && command -v pip3 >/dev/null 2>&1; then
  pip3 install -q kubernetes-validate==1.37.0 >/dev/null 2>&1 \
    || echo "setup: could not install kubernetes-validate; the schema test will skip" >&2
fi

# The official Kubernetes Python client: an API server test lists and watches through it.
if ! python3 -c 'import kubernetes' >/dev/null 2>&1; then
  pip3 install -q kubernetes==37.0.2 >/dev/null 2>&1 \
    || { echo "setup: could not install the kubernetes Python client (pip3 install kubernetes)" >&2; exit 1; }
fi
