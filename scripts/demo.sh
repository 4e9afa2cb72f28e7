#!/usr/bin/env bash
# The main job until `trellis up` lands: builds the CNI plugins, makes a "node" network
# namespace with two pods on a Trellis bridge and an "external" host, and shows them talking:
# pod <-> pod, pod -> gateway, and pod -> external through ipMasq (the external side sees the
# node's address). Everything it creates is removed on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the CNI plugins (release, static Swift stdlib)"
swift build -c release --static-swift-stdlib --product trellis-bridge 2>&1 | tail -n 1
swift build -c release --static-swift-stdlib --product trellis-ipam 2>&1 | tail -n 1
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)

id=$$
node=trellis-demo-node-$id ext=trellis-demo-ext-$id
pods=(trellis-demo-pod1-$id trellis-demo-pod2-$id)
data=$(mktemp -d /tmp/trellis-demo.XXXXXX)
cleanup() {
  for p in "${pods[@]}"; do
    CNI_COMMAND=DEL CNI_CONTAINERID=$p CNI_NETNS=/var/run/netns/$p CNI_IFNAME=eth0 CNI_PATH=$bin \
      nsenter --net=/var/run/netns/$node "$bin/trellis-bridge" <"$data/conf.json" >/dev/null 2>&1 || true
  done
  for ns in "${pods[@]}" $ext $node; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT

step "Creating namespaces: node, two pods, an external host"
for ns in $node $ext "${pods[@]}"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n $node link add uplink type veth peer name eth0 netns $ext
ip -n $node addr add 192.0.2.1/24 dev uplink && ip -n $node link set uplink up
ip -n $ext addr add 192.0.2.2/24 dev eth0 && ip -n $ext link set eth0 up

cat >"$data/conf.json" <<JSON
{
  "cniVersion": "1.1.0", "name": "demo", "type": "trellis-bridge",
  "bridge": "trellis0", "isDefaultGateway": true, "ipMasq": true, "hairpinMode": true,
  "ipam": { "type": "trellis-ipam", "dataDir": "$data/ipam",
            "ranges": [[{ "subnet": "10.244.1.0/24" }]] }
}
JSON
echo "network config:"; cat "$data/conf.json"

for p in "${pods[@]}"; do
  step "CNI ADD $p"
  CNI_COMMAND=ADD CNI_CONTAINERID=$p CNI_NETNS=/var/run/netns/$p CNI_IFNAME=eth0 CNI_PATH=$bin \
    nsenter --net=/var/run/netns/$node "$bin/trellis-bridge" <"$data/conf.json" | tee "$data/$p.json"
  echo
done

ip1=$(jq -r '.ips[0].address' "$data/${pods[0]}.json" | cut -d/ -f1)
ip2=$(jq -r '.ips[0].address' "$data/${pods[1]}.json" | cut -d/ -f1)
step "pod1 ($ip1) -> pod2 ($ip2)"
ip netns exec "${pods[0]}" ping -c 2 -W 2 "$ip2"
step "pod2 -> gateway 10.244.1.1"
ip netns exec "${pods[1]}" ping -c 2 -W 2 10.244.1.1
step "pod1 -> external host 192.0.2.2 (masqueraded: the external side sees the node address)"
ip netns exec $ext nc -l -p 8080 >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do ip netns exec $ext ss -Hltn '( sport = :8080 )' | grep -q . && break; sleep 0.1; done
(sleep 3 | ip netns exec "${pods[0]}" nc -q 0 192.0.2.2 8080 >/dev/null 2>&1 || true) &
peer=""
for _ in $(seq 50); do
  peer=$(ip netns exec $ext ss -Htn state established '( sport = :8080 )' | awk '{print $4}')
  [ -n "$peer" ] && break; sleep 0.1
done
kill $server 2>/dev/null || true; wait 2>/dev/null || true
echo "external host sees the connection from: $peer"
case "$peer" in 192.0.2.1:*) echo "masquerade ok";; *) echo "expected the node address 192.0.2.1" >&2; exit 1;; esac
step "CNI CHECK pod1"
CNI_COMMAND=CHECK CNI_CONTAINERID=${pods[0]} CNI_NETNS=/var/run/netns/${pods[0]} CNI_IFNAME=eth0 CNI_PATH=$bin \
  nsenter --net=/var/run/netns/$node "$bin/trellis-bridge" <<JSON && echo "CHECK ok"
$(jq --slurpfile r "$data/${pods[0]}.json" '. + {prevResult: $r[0]}' "$data/conf.json")
JSON

step "Demo passed; cleaning up"
