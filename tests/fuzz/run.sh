#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz", clang) and fuzzes them for
# SECONDS in all (default 60, shared equally between the targets), each from
# its committed corpus; new inputs go to a scratch directory per target, so
# the repository is unchanged. Prints libFuzzer's final
# statistics, among them the executions reached.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target asynchat_framer_fuzzer asynchat_http_fuzzer
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
targets=(framer http)
per=$(( seconds / ${#targets[@]} ))
for target in "${targets[@]}"; do
  echo "== fuzzing $target for $per s"
  mkdir -p "$scratch/$target"
  build/fuzz/tests/asynchat_${target}_fuzzer "$scratch/$target" "tests/fuzz/corpus/$target" \
      -max_total_time="$per" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 2>&1 | grep -E "^(stat::|#[0-9]+ +DONE)|ERROR|SUMMARY|Done"
done
