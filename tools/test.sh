#!/usr/bin/env bash
# The README's test command and what CI runs (.ci/run): installs what is needed, then builds
# and tests tacit in every mode it promises — g++ and clang++ with warnings as errors,
# ASan+UBSan, TSan, compiled out (TACIT_DISABLE), against the single header — and ends with
# a short benchmark pass and the callgrind instruction counts, which fail the run when the
# producer's count is over its target.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# The one deliberate race, documented in the file; TSan reports anything else.
export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp halt_on_error=1"
bash tools/setup.sh test || { echo "setup failed"; exit 1; }

passed=0 failed=0 broken=()
out=build-ci
mkdir -p "$out"

# meson test prints "Ok: N" and "Fail: N"; add them up.
count() {
  local log=$1 ok fail
  ok=$(grep -E '^Ok: ' "$log" | tail -1 | awk '{print $2}')
  fail=$(grep -E '^(Fail|Unexpected Pass|Timeout): ' "$log" | awk '{s+=$2} END {print s+0}')
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0}))
}

# variant NAME "SETUP ARGS" "TEST ARGS" [CXX]
variant() {
  local name=$1 setup=$2 testargs=$3 cxx=${4:-g++}
  local dir=$out/$name log=$out/$name.log
  echo "=== $name (CXX=$cxx $setup)"
  local t0=$SECONDS
  if [ ! -f "$dir/build.ninja" ]; then
    CXX=$cxx meson setup "$dir" $setup >"$log" 2>&1 || { echo "setup failed:"; tail -30 "$log"; broken+=("$name"); return; }
  fi
  if ! ninja -C "$dir" >>"$log" 2>&1; then
    echo "build failed:"; grep -E 'error|Error' "$log" | head -30; broken+=("$name"); return
  fi
  meson test -C "$dir" --num-processes 2 --print-errorlogs $testargs >>"$log" 2>&1
  local rc=$?
  grep -E '^(Ok|Fail|Expected Fail|Unexpected Pass|Skipped|Timeout): ' "$log" | tr '\n' ' '; echo " ($((SECONDS - t0)) s)"
  count "$log"
  if [ $rc -ne 0 ]; then
    grep -E ' (FAIL|TIMEOUT) ' "$log" | head -20
    broken+=("$name")
  fi
}

# The full build (every area, every peer, the benchmarks) once with g++; the other modes
# build the core and the crew facade, which is what their sanitizers and switches are about.
lean="-Dbenchmarks=false -Dtools=false -Dexamples=false"
variant gcc         "-Dbenchmarks=true"                                                     ""
# clang also runs the libFuzzer targets (ASan+UBSan inside), a bounded time each.
variant clang       "$lean -Dareas=crew,reliability"                                        "--suite core --suite crew --suite fuzz" clang++
# clang for ASan+UBSan: g++ 12 with -fsanitize=undefined cannot evaluate tacit's key rule in
# a constant expression.
variant asan        "$lean -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized -Dareas=[]" "--suite core" clang++
variant tsan        "$lean -Db_sanitize=thread -Dbuildtype=debugoptimized -Dareas=[]"        "--suite core" clang++
variant disabled    "$lean -Ddisable=true -Dareas=crew"                                      "--suite core --suite crew"
variant single      "$lean -Dsingle_include=true -Dareas=[]"                                 "--suite core"

# Benchmarks: a short pass whose figures land in every CI log (timings never fail CI) and the
# callgrind instruction counts (these do).
echo "=== benchmarks (short pass; medians in README come from longer runs)"
if [ -x $out/gcc/benchmarks/core_bench ]; then
  $out/gcc/benchmarks/core_bench --benchmark_min_time=0.1 2>&1 | grep -E '^(BM_|Benchmark|-)' || true
fi
if [ -x tools/callgrind_span.sh ] && [ -x $out/gcc/benchmarks/span_loop ]; then
  echo "=== callgrind: instructions per span"
  if bash tools/callgrind_span.sh $out/gcc/benchmarks/span_loop; then passed=$((passed + 1)); else failed=$((failed + 1)); broken+=(callgrind); fi
fi

# The figures RELIABILITY.md quotes, as the reliability tests printed them in this run: the
# soak's summary and every MESSAGE of the g++ build, and libFuzzer's totals in the clang build.
if [ -f $out/gcc/meson-logs/testlog.txt ]; then
  echo "=== reliability figures (g++ build)"
  grep -E '^soak: |tests/reliability/[a-z_]+\.cpp:[0-9]+: MESSAGE:' $out/gcc/meson-logs/testlog.txt | sed -E 's|.*tests/reliability/||' || true
fi
if [ -f $out/clang/meson-logs/testlog.txt ]; then
  echo "=== libFuzzer figures (clang build, ASan+UBSan)"
  awk '/^test: / {name = $NF} /^Done [0-9]+ runs/ {print name ": " $0} /^stat::peak_rss_mb/ {print name ": peak RSS " $2 " MiB"}' \
    $out/clang/meson-logs/testlog.txt || true
fi

echo
if [ ${#broken[@]} -gt 0 ]; then echo "failed stages: ${broken[*]}"; fi
echo "tacit: $passed passed, $failed failed"
[ ${#broken[@]} -eq 0 ] && [ $failed -eq 0 ]
