#!/usr/bin/env bash
# Instructions per span, counted by callgrind (deterministic, unlike timings):
#
#   tools/callgrind_span.sh [--max-producer N] [--max-end-to-end N] [--max-off N] [--n SPANS] [path/to/span_loop]
#
# Runs span_loop at N and 2N spans under `valgrind --tool=callgrind --separate-threads=yes`,
# recording and then switched off at run time. The difference cancels start-up and shutdown:
#   producer   = (Ir of the main thread at 2N - at N) / N   the cost on the host's thread
#   end_to_end = (Ir of all threads at 2N - at N) / N       plus the background thread's drain
#   off        = the producer figure with recording switched off (OTEL_SDK_DISABLED), less
#                the same loop without spans (span_loop's `empty` mode)
# Exits non-zero when a figure is over its limit (the CI limits), when valgrind is missing, or
# when span_loop's accounting does not close.
set -euo pipefail

# The targets are 100 (producer), 300 (end to end) and 5 (off) instructions per span. With
# g++ 12 -O3 on x86-64 the figures are 78, ~250 and 2. CI fails above the producer's and the
# switch's targets. The end-to-end figure moves by a few instructions from run to run (it
# includes the background thread's cycles, which depend on how valgrind schedules it), so CI
# holds it at 320 rather than at its target.
max_producer=${TACIT_MAX_PRODUCER_IR:-100}
max_end_to_end=${TACIT_MAX_END_TO_END_IR:-320}
max_off=${TACIT_MAX_OFF_IR:-5}
n=20000
loop=""
while [ $# -gt 0 ]; do
  case $1 in
    --max-producer) max_producer=$2; shift 2 ;;
    --max-end-to-end) max_end_to_end=$2; shift 2 ;;
    --max-off) max_off=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) loop=$1; shift ;;
  esac
done
if [ -z "$loop" ]; then
  for c in build-ci/gcc/benchmarks/span_loop build/benchmarks/span_loop; do
    [ -x "$c" ] && loop=$c && break
  done
fi
if [ -z "$loop" ] || [ ! -x "$loop" ]; then
  echo "callgrind_span: span_loop not found; build it (meson compile benchmarks/span_loop) and pass its path" >&2
  exit 2
fi
command -v valgrind >/dev/null || { echo "callgrind_span: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run SPANS [off]: sets ir_main (the main thread's instructions) and ir_all (every thread's)
run() {
  local spans=$1 mode=${2:-} dir=$work/$1${2:-}
  mkdir -p "$dir"
  if ! valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$dir/cg.out" \
        "$loop" "$spans" $mode >"$dir/stdout" 2>"$dir/stderr"; then
    echo "callgrind_span: span_loop $spans failed under valgrind:" >&2
    cat "$dir/stdout" "$dir/stderr" >&2
    exit 1
  fi
  # One file per thread: cg.out-01 is the main thread. Each has a "totals:" (or "summary:") line.
  local main all
  main=$(awk '/^(totals|summary):/ {print $2; exit}' "$dir/cg.out-01")
  all=$(for f in "$dir"/cg.out-*; do awk '/^(totals|summary):/ {print $2; exit}' "$f"; done | awk '{s += $1} END {print s}')
  if [ -z "$main" ] || [ -z "$all" ]; then
    echo "callgrind_span: could not read callgrind's totals in $dir" >&2
    exit 1
  fi
  ir_main=$main
  ir_all=$all
  grep -E '^(spans|producer_allocations)' "$dir/stdout" | sed 's/^/  /' >&2
}

run "$n"
main1=$ir_main all1=$ir_all
run $((2 * n))
main2=$ir_main all2=$ir_all
run "$n" off
off1=$ir_main
run $((2 * n)) off
off2=$ir_main
run "$n" empty
empty1=$ir_main
run $((2 * n)) empty
empty2=$ir_main
producer=$(( (main2 - main1) / n ))
end_to_end=$(( (all2 - all1) / n ))
# Fractions matter here: print the off figure with one decimal.
off=$(awk -v a="$off1" -v b="$off2" -v c="$empty1" -v d="$empty2" -v n="$n" 'BEGIN { printf "%.1f", ((b - a) - (d - c)) / n }')
echo "callgrind: N=$n spans of 4 attributes: producer $producer instructions/span (main thread), end-to-end $end_to_end instructions/span (all threads), switched off $off instructions/span"
status=0
check() {  # check NAME VALUE LIMIT
  if awk -v v="$2" -v l="$3" 'BEGIN { exit !(v > l) }'; then
    echo "callgrind: FAIL: $1 $2 > limit $3 instructions/span" >&2
    status=1
  else
    echo "callgrind: ok: $1 $2 <= limit $3"
  fi
}
check producer "$producer" "$max_producer"
check end-to-end "$end_to_end" "$max_end_to_end"
check off "$off" "$max_off"
exit $status
