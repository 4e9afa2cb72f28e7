#!/usr/bin/env bash
# Sets up the machine and runs every test. Kernel tests make their own network namespaces
# and remove them; nothing touches the host namespace's routes or rules.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

swift build --build-tests
log=$(mktemp /tmp/trellis-test.XXXXXX.log)
set +e
# The kernel labs block threads for seconds at a time (processes, packets, sleeps); on two
# cores they would starve the concurrency pool the async suites need, so they run apart.
labs='PolicyTests|ServiceProxyTests|KubeletTests|RoutingTests'
swift test --skip-build --skip "$labs" >"$log" 2>&1
status=$?
swift test --skip-build --filter "$labs" >>"$log" 2>&1 || status=1
# The DNS decoder under libFuzzer for a fixed budget (falls back to the seeded fuzz test).
scripts/fuzz-dns.sh 30 >>"$log" 2>&1 || status=1
# (`TRELLIS_TEST_STORE=etcd swift test --skip-build --filter APIServerTests` runs the API server
# suite on etcd; it is not part of this command while it can hang: see docs/STATUS.md.)
set -e
# Show failures in full, passes as one line each.
grep -E '✘|recorded an issue|error:|passed after|failed after|skipped' "$log" | grep -vE '^◇' || true
echo "full log: $log"
exit $status
