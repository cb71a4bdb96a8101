#!/usr/bin/env bash
# Fails if the framing core's instructions per 64-byte line exceed a budget.
#   bench/instruction_budget.sh FRAMER_BENCH BUDGET
# Runs FRAMER_BENCH under callgrind with N and 5N lines; (I(5N) - I(N)) / 4N is
# the count per line with start-up cancelled out. Instruction counts do not
# depend on machine load, so the check is stable on a noisy machine.
# The 64 KiB "reads" are memcpy'd into the framer (standing in for the
# kernel's copy). glibc copies that size with `rep movsb`, which callgrind
# counts once per byte (64 "instructions" per line for one instruction the CPU
# runs at tens of bytes per cycle); the tunable below makes glibc use its
# vector loop instead, whose count reflects the work. Without it the same
# binary counts about 57 more per line.
# Exit 77 (ctest: skipped) when valgrind is not installed.
set -euo pipefail
bin=$1 budget=$2
command -v valgrind >/dev/null || { echo "valgrind not installed: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=20000
refs() {
  GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=1000000000 \
    valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$bin" "$1" 2>"$work/log" >/dev/null
  sed -nE 's/.*I +refs: +([0-9,]+).*/\1/p' "$work/log" | tr -d ,
}
small=$(refs $n)
large=$(refs $((5 * n)))
per_line=$(( (large - small) / (4 * n) ))
echo "framing core: $per_line instructions per 64-byte line (budget $budget)"
if [ "$per_line" -gt "$budget" ]; then
  echo "over budget: find what made the hot path slower, or raise the budget in bench/CMakeLists.txt with a reason" >&2
  exit 1
fi
