#!/usr/bin/env bash
# Service proxy benchmarks (issue 6 acceptance), nftables backend, release build:
#  (a) full sync of 10,000 Services x 10 endpoints, single-endpoint changes at that size;
#  (b) new-connection rate through a ClusterIP vs straight to the pod IP, at 100 and 10,000
#      Services (target: the 10,000-Service rate >= 0.95 of the 100-Service rate).
# Everything runs in throwaway network namespaces. Usage: scripts/bench-proxy.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3}
rounds=${ROUNDS:-3}

# BENCH_BIN=path skips the release build (e.g. a debug binary; say so when quoting numbers).
if [ -z "${BENCH_BIN:-}" ]; then
  swift build -c release --product proxy-bench >/tmp/bench-proxy-build.log 2>&1 || { tail -30 /tmp/bench-proxy-build.log; exit 1; }
  bench=$(swift build -c release --show-bin-path)/proxy-bench
else
  bench=$BENCH_BIN
fi
cc=$(command -v cc || command -v clang)
$cc -O2 -o /tmp/connrate-$$ Benchmarks/connrate.c
conn=/tmp/connrate-$$

if [ "${SKIP_SYNC:-}" != 1 ]; then
  echo "== (a) sync"
  "$bench" sync --services 10000 --endpoints 10
fi

echo "== (b) new-connection rate (${secs}s per run, best of $rounds)"
n=pxbn$$ s=pxbs$$ c=pxbc$$
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  for ns in $n $s $c; do ip netns del "$ns" 2>/dev/null || true; done
  rm -f "$conn"
}
trap cleanup EXIT
for ns in $n $s $c; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n $n link add br0 type bridge
ip -n $n addr add 10.1.0.1/24 dev br0
ip -n $n link set br0 up
ip netns exec $n sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
i=10
for ns in $s $c; do
  i=$((i + 1))
  ip -n $n link add v$ns type veth peer name eth0 netns $ns
  ip -n $n link set v$ns master br0 up
  ip -n $ns addr add 10.1.0.$i/24 dev eth0
  ip -n $ns link set eth0 up
  ip -n $ns route add default via 10.1.0.1
done
ip netns exec $s "$conn" server 8080 &
server=$!
sleep 0.3

rate() { # best of $rounds runs of: client -> $1:$2
  local best=0 r
  for _ in $(seq "$rounds"); do
    r=$(ip netns exec $c "$conn" client "$1" "$2" "$secs" | cut -d' ' -f1)
    [ "$r" -gt "$best" ] && best=$r
  done
  echo "$best"
}

declare -A cip
for count in 100 10000; do
  ip netns exec $n nft flush ruleset
  "$bench" load --netns $n --services $count --target 10.1.0.11:8080
  d=$(rate 10.1.0.11 8080)
  v=$(rate 10.100.0.0 80)
  cip[$count]=$v
  echo "services=$count direct=$d/s clusterIP=$v/s clusterIP/direct=$(echo "scale=3; $v / $d" | bc)"
done
echo "clusterIP rate at 10000 / at 100 = $(echo "scale=3; ${cip[10000]} / ${cip[100]}" | bc) (target >= 0.95)"
