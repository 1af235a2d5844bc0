#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS (default 20) from its seed corpus under fuzz/corpus;
# any crash, panic, timeout or out-of-memory fails the run. Stable toolchain: RUSTC_BOOTSTRAP=1
# lets cargo-fuzz pass its unstable flags; no sanitizer (`-s none`), only libFuzzer's checks.
# FUZZ_BUILD=dev builds the targets unoptimised (minutes instead of a quarter of an hour: the short
# smoke round in scripts/test.sh uses it); the default is an optimised build for long runs.
set -euo pipefail
secs=${1:-20}
case "${FUZZ_BUILD:-release}" in
  dev) mode=(--dev) ;;
  release) mode=(--release) ;;
  *) echo "FUZZ_BUILD must be dev or release, not '${FUZZ_BUILD}'" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list)
cargo fuzz build "${mode[@]}" -s none --debug-assertions >/dev/null
for t in $targets; do
  work=$(mktemp -d)
  cp -r "corpus/$t/." "$work/"
  echo "fuzz $t for ${secs}s"
  # A new input found by libFuzzer goes to the scratch copy, so the seeds stay as committed.
  status=0
  cargo fuzz run "${mode[@]}" -s none --debug-assertions "$t" "$work" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    >"$work.log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|thread .* panicked)' "$work.log" || true
  [ "$status" -eq 0 ] || tail -40 "$work.log" >&2
  rm -f "$work.log"
  rm -rf "$work"
  [ "$status" -eq 0 ] || { echo "fuzz target $t failed (artifacts in fuzz/artifacts/$t)" >&2; exit 1; }
done
