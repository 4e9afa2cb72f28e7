#!/usr/bin/env bash
# Cluster DNS benchmark (issue 8): dnsperf against `trellis dns` and against NSD serving
# the same records, same machine, same run; then resident memory of ours.
#   scripts/bench-dns.sh [SERVICES=10000] [ENDPOINTS_PER_SERVICE=15] [SECONDS=8] [THREADS=1]
# THREADS is our UDP thread count and NSD's server-count. Needs dnsperf and nsd
# (scripts/setup.sh installs them); builds ours in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
services=${1:-10000}; per=${2:-15}; seconds=${3:-8}; threads=${4:-1}
work=$(mktemp -d /tmp/bench-dns.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$work"; }
trap cleanup EXIT

python3 scripts/gen-dns-fixture.py "$work" "$services" "$per"
swift build -c release --product trellis >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
bin=$(swift build -c release --show-bin-path)/trellis

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ours_port=$(free_port); nsd_port=$(free_port)

# --- ours
"$bin" dns --listen 127.0.0.1 --port "$ours_port" --fixture "$work/fixture.json" --no-forward \
  --metrics-address "" --threads "$threads" --lame-duck 0 >"$work/ours.log" 2>&1 &
ours=$!; pids+=("$ours")
for _ in $(seq 1 600); do grep -q "loaded" "$work/ours.log" && break; sleep 0.2; done
grep -q "loaded" "$work/ours.log" || { cat "$work/ours.log"; exit 1; }
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$ours/status)
hwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$ours/status)

# --- NSD, rate limiting off
cat >"$work/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1
  port: $nsd_port
  server-count: $threads
  username: ""
  zonesdir: "$work"
  database: ""
  zonelistfile: "$work/zone.list"
  xfrdfile: "$work/xfrd.state"
  pidfile: "$work/nsd.pid"
  logfile: "$work/nsd.log"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: cluster.local
  zonefile: cluster.local.zone
CONF
nsd -d -c "$work/nsd.conf" >"$work/nsd.out" 2>&1 &
nsdpid=$!; pids+=("$nsdpid")
for _ in $(seq 1 300); do dig +short +time=1 +tries=1 @127.0.0.1 -p "$nsd_port" cluster.local SOA >/dev/null 2>&1 && break; sleep 0.2; done

# Same answers from both (first 20 queries), so the comparison is fair.
mismatch=0
while read -r name type; do
  a=$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$ours_port" "$name" "$type" | sort)
  b=$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$nsd_port" "$name" "$type" | sort)
  [ "$a" = "$b" ] || { echo "answers differ for $name $type: ours [$a] nsd [$b]"; mismatch=1; }
done < <(head -20 "$work/queries.txt")

run() { dnsperf -s 127.0.0.1 -p "$1" -d "$work/queries.txt" -c 4 -T 1 -q 200 -l "$seconds" 2>&1; }
qps() { awk '/Queries per second/ {print $4}'; }
lat() { awk '/Average Latency/ {print $4}'; }
run "$nsd_port" >"$work/nsd.perf"; run "$ours_port" >"$work/ours.perf"
run "$nsd_port" >"$work/nsd2.perf"; run "$ours_port" >"$work/ours2.perf"
rss_after_kb=$(awk '/VmRSS/ {print $2}' /proc/$ours/status)

echo "== cluster DNS bench: $services services, $((services * per)) endpoints, $(wc -l <"$work/queries.txt") queries; dnsperf -c 4 -T 1 -q 200 -l $seconds; $threads thread(s) each"
for i in "" 2; do
  oq=$(qps <"$work/ours$i.perf"); nq=$(qps <"$work/nsd$i.perf")
  ol=$(lat <"$work/ours$i.perf"); nl=$(lat <"$work/nsd$i.perf")
  printf "run%s  ours %10.0f qps  avg %8.6f s | nsd %10.0f qps  avg %8.6f s | qps ratio %.2f  latency ratio %.2f\n" \
    "${i:-1}" "$oq" "$ol" "$nq" "$nl" "$(echo "$oq / $nq" | bc -l)" "$(echo "$ol / $nl" | bc -l)"
done
grep -h "Queries lost" "$work/ours.perf" "$work/nsd.perf" | sed 's/^/lost: /'
echo "ours resident memory after load: $((rss_kb / 1024)) MB (peak during load $((hwm_kb / 1024)) MB, after the runs $((rss_after_kb / 1024)) MB)"
[ $mismatch -eq 0 ] && echo "answers: identical for the sampled queries" || echo "answers: DIFFER (see above)"
