#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz", clang) and fuzzes each for
# SECONDS (default 60), starting from the committed corpus; new inputs go to a
# scratch directory, so the repository is unchanged. Prints libFuzzer's final
# statistics, among them the executions reached.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in framer; do
  echo "== fuzzing $target for $seconds s"
  build/fuzz/tests/asynchat_${target}_fuzzer "$scratch" "tests/fuzz/corpus/$target" \
      -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 2>&1 | grep -E "^(stat::|#[0-9]+ +DONE)|ERROR|SUMMARY|Done"
done
