#!/usr/bin/env bash
# Issue 9 bench: compile + apply 1,000 NetworkPolicies over 5,000 simulated pods (first full
# apply, then one pod add / label change), and the pod-to-pod connection rate with those
# policies loaded vs none, in the same run. Root only (scratch network namespaces).
# Usage: scripts/bench-policy.sh [-c release]   (default: the debug build the tests use)
set -euo pipefail
cd "$(dirname "$0")/.."
config=debug
[ "${1:-}" = "-c" ] && config="$2"
swift build --build-tests -c "$config" > /tmp/bench-policy-build.log 2>&1 || { tail -30 /tmp/bench-policy-build.log; exit 1; }
TRELLIS_BENCH=1 swift test --skip-build -c "$config" --filter PolicyBench 2>&1 | grep -A6 "BENCH" || true
