#!/usr/bin/env bash
# Benchmarks, each side by side with its named anchor in the same run, printing ratios.
#
# CNI: ADD+DEL of N pods (default 100), sequential and 8-way concurrent, trellis-bridge +
# trellis-ipam vs the reference bridge + host-local (Debian containernetworking-plugins), with
# the same configuration keys. Pod namespaces are made before the clock starts; every plugin
# runs inside a scratch "node" namespace. Target: ours <= 0.5x the reference's wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

N=${N:-100}
swift build -c release --static-swift-stdlib --product trellis-bridge >/dev/null
swift build -c release --static-swift-stdlib --product trellis-ipam >/dev/null
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
ref=/usr/lib/cni

work=$(mktemp -d /tmp/trellis-bench.XXXXXX)
node=tbench-node-$$
cleanup() {
  ip netns del $node 2>/dev/null || true
  for i in $(seq 1 $N); do ip netns del tbench-$$-$i 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add $node
ip -n $node link set lo up
for i in $(seq 1 $N); do ip netns add tbench-$$-$i; done

config() { # plugin ipam masq dir
  cat <<JSON
{"cniVersion":"1.0.0","name":"bench","type":"$1","bridge":"bench0","isGateway":true,
 "ipMasq":$3,"hairpinMode":true,
 "ipam":{"type":"$2","dataDir":"$4","ranges":[[{"subnet":"10.250.0.0/16"}]]}}
JSON
}

# One ADD+DEL cycle for pod $1 with plugin dir $2 and config file $3 (run inside the node ns).
cat >"$work/cycle.sh" <<'SH'
#!/bin/sh
set -e
i=$1 dir=$2 conf=$3 plugin=$4
export CNI_CONTAINERID=bench-$i CNI_NETNS=/var/run/netns/$NSPREFIX-$i CNI_IFNAME=eth0 CNI_PATH=$dir
CNI_COMMAND=ADD "$dir/$plugin" <"$conf" >/dev/null
CNI_COMMAND=DEL "$dir/$plugin" <"$conf" >/dev/null
SH
chmod +x "$work/cycle.sh"

run() { # label dir plugin ipam masq parallel -> prints seconds
  local label=$1 dir=$2 plugin=$3 ipam=$4 masq=$5 par=$6
  local conf=$work/$label-$par.json
  config "$plugin" "$ipam" "$masq" "$work/data-$label-$par" >"$conf"
  # Warm up (creates the bridge) so both sides measure steady-state pods.
  ip netns exec $node env NSPREFIX=tbench-$$ "$work/cycle.sh" 1 "$dir" "$conf" "$plugin"
  local t0 t1
  t0=$(date +%s.%N)
  seq 1 $N | ip netns exec $node env NSPREFIX=tbench-$$ xargs -P "$par" -I{} "$work/cycle.sh" {} "$dir" "$conf" "$plugin"
  t1=$(date +%s.%N)
  ip -n $node link del bench0 2>/dev/null || true
  echo "$t1 - $t0" | bc -l
}

printf '\nCNI ADD+DEL of %d pods (wall seconds; lower is better)\n' "$N"
printf '%-28s %10s %10s %8s\n' "case" "trellis" "reference" "ratio"
for masq in false true; do
  for par in 1 8; do
    ours=$(run trellis "$bin" trellis-bridge trellis-ipam $masq $par)
    theirs=$(run reference "$ref" bridge host-local $masq $par)
    printf '%-28s %10.2f %10.2f %8.2f\n' "ipMasq=$masq parallel=$par" "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
  done
done
echo "target: ratio <= 0.50"

# API server storage (issue 3): writes/s and watcher delivery latency, SQLite (WAL, FULL sync),
# 100 watchers; debug build, printed not asserted.
printf '\nStore (SQLite) with 100 watchers\n'
TRELLIS_BENCH=1 swift test --filter ThroughputTests 2>&1 | grep "store bench:" || true
