#!/usr/bin/env bash
# Runs the libFuzzer targets of a -DDYNAUDIT_FUZZ=ON build (see docs/fuzzing.md).
#
#   tests/fuzz/run_fuzz.sh run TARGET [RUNS]   fuzz TARGET for RUNS executions (default 10000000),
#                                              in one process at the lowest priority; prints a summary line
#   tests/fuzz/run_fuzz.sh merge TARGET        minimise what a run found into tests/fuzz/corpus/TARGET
#
# FUZZ_BUILD (default build-fuzz) is the build folder. A run grows its own
# corpus in $FUZZ_BUILD/fuzz-work/TARGET, starting from the committed seeds,
# and writes crash inputs to $FUZZ_BUILD/fuzz-artifacts/TARGET/.
# FUZZ_FLAGS adds libFuzzer options (e.g. FUZZ_FLAGS=-max_len=1024); the
# summary line repeats them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${FUZZ_BUILD:-$ROOT/build-fuzz}"
FUZZ="$ROOT/tests/fuzz"

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" >&2; exit 2; }
[ $# -ge 2 ] || usage
command="$1" target="$2"
binary="$BUILD/tests/fuzz_$target"
seeds="$FUZZ/corpus/$target"
work="$BUILD/fuzz-work/$target"
[ -x "$binary" ] || { echo "no $binary: build with -DDYNAUDIT_FUZZ=ON (docs/fuzzing.md)" >&2; exit 1; }
[ -d "$seeds" ] || { echo "no seed corpus $seeds" >&2; exit 1; }
mkdir -p "$work"

case "$command" in
  run)
    runs="${3:-10000000}"
    artifacts="$BUILD/fuzz-artifacts/$target"
    mkdir -p "$artifacts"
    dict=()
    [ -f "$FUZZ/$target.dict" ] && dict=(-dict="$FUZZ/$target.dict")
    log="$BUILD/fuzz-work/$target.log"
    start=$(date +%s)
    status=0
    # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of options
    nice -n 19 "$binary" -runs="$runs" -print_final_stats=1 "${dict[@]}" ${FUZZ_FLAGS:-} \
      -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1 || status=$?
    seconds=$(( $(date +%s) - start ))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corpus=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
    crashes=$(find "$artifacts" -type f | wc -l)
    echo "$(date -u +%F) $target executions=${executions:-?} seconds=$seconds" \
         "exec/s=$(( ${executions:-0} / (seconds > 0 ? seconds : 1) ))" \
         "cov=$cov ft=$ft corpus=$corpus exit=$status artifacts=$crashes flags='${FUZZ_FLAGS:-}' log=$log"
    exit "$status"
    ;;
  merge)
    "$binary" -merge=1 "$seeds" "$work" >"$BUILD/fuzz-work/$target.merge.log" 2>&1
    echo "$target: $(find "$seeds" -type f | wc -l) files, $(du -sh "$seeds" | cut -f1) in $seeds"
    ;;
  *) usage ;;
esac
