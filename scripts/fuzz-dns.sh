#!/usr/bin/env bash
# Runs the DNSWire decoder under libFuzzer for a fixed budget (CI). Exits non-zero on a
# crash or a self-disagreement (the harness traps). Falls back to the seeded in-process
# fuzz test when this toolchain cannot link libFuzzer.
#   scripts/fuzz-dns.sh [SECONDS=60]
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-60}
bin=/tmp/dnswire-fuzz
corpus=$(mktemp -d /tmp/dnswire-corpus.XXXXXX)
trap 'rm -rf "$corpus"' EXIT
if Tests/DNSWireFuzz/build.sh "$bin" >/tmp/dnswire-fuzz-build.log 2>&1; then
  # Seeds: a few well-formed queries, so mutation starts from real packets.
  printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03web\x07default\x03svc\x07cluster\x05local\x00\x00\x01\x00\x01' >"$corpus/a"
  printf '\x12\x35\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x21\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00' >"$corpus/opt"
  "$bin" -max_len=2048 -max_total_time="$budget" -print_final_stats=1 "$corpus"
  echo "fuzz-dns: libFuzzer ran ${budget}s with no crash"
else
  echo "fuzz-dns: libFuzzer build failed (see /tmp/dnswire-fuzz-build.log); running the seeded in-process fuzz test"
  tail -5 /tmp/dnswire-fuzz-build.log
  swift build --build-tests >/tmp/dnswire-fuzz-swiftbuild.log 2>&1
  swift test --skip-build --filter "DNSWireTests.FuzzTests|MalformedCorpusTests"
fi
