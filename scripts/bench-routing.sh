#!/usr/bin/env bash
# Issue 5 bench: iperf3 pod-to-pod across two nodes in each routing mode, against
# node-to-node over the same underlay in the same run; prints the ratios.
#
# Lab: a LAN namespace with a bridge, two node namespaces on it (10.50.0.11, .12), one pod per
# node made by the real plugin binary, node routes applied by `trellis routing --once` from a
# nodes file. Everything lives in namespaces named trbench-* and is removed on exit.
# Usage: scripts/bench-routing.sh [SECONDS] (default 5). Needs root, iperf3, a debug build.
set -euo pipefail
secs=${1:-5}
bin=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug}
work=$(mktemp -d /tmp/trbench.XXXXXX)
ns() { echo "trbench-$1"; }
cleanup() {
  pkill -F "$work/iperf.pid" 2>/dev/null || true
  pkill -F "$work/iperf-node.pid" 2>/dev/null || true
  for n in p1 p2 n1 n2 lan; do ip netns del "$(ns $n)" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
command -v iperf3 >/dev/null || { echo "bench-routing: apt-get install iperf3" >&2; exit 1; }

rate() {  # rate FROM_NS TO_ADDRESS: Gbit/s of a TCP stream
  ip netns exec "$1" iperf3 -c "$2" -t "$secs" -J | jq '.end.sum_received.bits_per_second / 1e9'
}

lab() {  # lab MODE PLUGIN
  cleanup; mkdir -p "$work"; trap cleanup EXIT
  ip netns add "$(ns lan)"
  ip -n "$(ns lan)" link add br0 type bridge; ip -n "$(ns lan)" link set br0 up
  for i in 1 2; do
    ip netns add "$(ns n$i)"; ip netns add "$(ns p$i)"
    ip -n "$(ns lan)" link add "v$i" type veth peer name eth0 netns "$(ns n$i)"
    ip -n "$(ns lan)" link set "v$i" master br0 up
    ip -n "$(ns n$i)" link set eth0 up; ip -n "$(ns n$i)" link set lo up; ip -n "$(ns p$i)" link set lo up
    ip -n "$(ns n$i)" addr add "10.50.0.1$i/24" dev eth0
    # A node has a default route; trellis-bgp's proxy ARP for 169.254.1.1 relies on one.
    ip -n "$(ns n$i)" route add default via 10.50.0.1
  done
  nodes="["
  for i in 1 2; do
    nodes+="{\"metadata\":{\"name\":\"node$i\",\"annotations\":{\"routing.trellis.dev/public-ip\":\"10.50.0.1$i\"}},\"spec\":{\"podCIDRs\":[\"10.244.$i.0/24\"]}}"
    [ $i = 1 ] && nodes+=","
  done
  echo "$nodes]" > "$work/nodes.json"
  # Each daemon publishes its VTEP MAC; in file mode we feed them back through the file.
  for pass in 1 2; do
    for i in 1 2; do
      out=$("$bin/trellis" routing --mode "$1" --node-name "node$i" --netns "$(ns n$i)" --nodes-file "$work/nodes.json" \
        --subnet-file "$work/n$i.env" --once)
      mac=$(echo "$out" | sed -n 's/^vtep .* mac \([0-9a-f:]*\) .*/\1/p')
      if [ -n "$mac" ]; then
        jq --arg n "node$i" --arg m "$mac" '(.[] | select(.metadata.name == $n) | .metadata.annotations["routing.trellis.dev/vtep-mac"]) = $m' \
          "$work/nodes.json" > "$work/nodes.tmp" && mv "$work/nodes.tmp" "$work/nodes.json"
      fi
    done
  done
  for i in 1 2; do
    conf="{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"$2\",\"subnetFile\":\"$work/n$i.env\",\"stateDir\":\"$work/state$i\",\"ipam\":{\"dataDir\":\"$work/ipam$i\"}}"
    echo "$conf" | CNI_COMMAND=ADD CNI_CONTAINERID="bench$i" CNI_NETNS="/var/run/netns/$(ns p$i)" CNI_IFNAME=eth0 CNI_PATH="$bin" \
      ip netns exec "$(ns n$i)" "$bin/$2" > "$work/p$i.json"
  done
  ip netns exec "$(ns p2)" iperf3 -s -D -I "$work/iperf.pid"
  ip netns exec "$(ns n2)" iperf3 -s -D -p 5202 -I "$work/iperf-node.pid"
  sleep 0.5
}

printf "%-8s %12s %12s %8s %8s\n" mode "pod Gbit/s" "node Gbit/s" ratio target
for spec in "hostgw trellis-hostgw 0.9" "vxlan trellis-vxlan 0.7" "hybrid trellis-vxlan 0.9" "hostgw trellis-bgp 0.9"; do
  set -- $spec
  lab "$1" "$2"
  pod2=$(jq -r '.ips[0].address' "$work/p2.json" | cut -d/ -f1)
  node=$(ip netns exec "$(ns n1)" iperf3 -c 10.50.0.12 -p 5202 -t "$secs" -J | jq '.end.sum_received.bits_per_second / 1e9')
  pod=$(rate "$(ns p1)" "$pod2")
  pkill -F "$work/iperf-node.pid" 2>/dev/null || true
  printf "%-8s %12.2f %12.2f %8.2f %8s\n" "$1/${2#trellis-}" "$pod" "$node" "$(echo "$pod / $node" | bc -l)" "$3"
done
