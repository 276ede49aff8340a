#!/usr/bin/env bash
# test.sh — the project's one test command (README; .ci/run runs exactly this).
#
#   1. set-up: scripts/setup.sh installs what is missing (Debian packages);
#   2. release build of everything, then every test: GoogleTest (runtime and
#      harness) through CTest, and the report scripts' pytest suite;
#   3. the runtime tests again under ASan+UBSan, then under TSan.
# Each stage prints its wall time; the script stops at the first failure and
# ends with one summary line "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
passed=0
failed=0
stage() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
finish() {
  echo
  echo "test.sh: ${passed} passed, ${failed} failed"
}
trap finish EXIT

stage "setup"
scripts/setup.sh

# ctest_count FLAVOR [ctest args...]: run ctest, add its counts to the totals.
ctest_count() {
  local dir=$1; shift
  local log
  log=$(mktemp)
  set +e
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j "$jobs" "$@") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local total fails
  total=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$log" | tail -1)
  fails=$(sed -nE 's/.* tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$log" | tail -1)
  rm -f "$log"
  passed=$((passed + ${total:-0} - ${fails:-0}))
  failed=$((failed + ${fails:-0}))
  return "$rc"
}

stage "release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

stage "release tests"
ctest_count build/release

stage "report scripts (pytest)"
set +e
/usr/bin/python3 -m pytest -q -p no:cacheprovider scripts/tests 2>&1 | tee /tmp/gort-pytest.$$.log
rc=${PIPESTATUS[0]}
set -e
p=$(grep -oE '[0-9]+ passed' /tmp/gort-pytest.$$.log | tail -1 | grep -oE '[0-9]+' || true)
f=$(grep -oE '[0-9]+ failed' /tmp/gort-pytest.$$.log | tail -1 | grep -oE '[0-9]+' || true)
rm -f /tmp/gort-pytest.$$.log
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
[ "$rc" -eq 0 ] || exit "$rc"

for flavour in asan tsan; do
  stage "$flavour build (runtime)"
  cmake --preset "$flavour" >/dev/null
  cmake --build --preset "$flavour" -j "$jobs"
  stage "$flavour runtime tests"
  if [ "$flavour" = tsan ]; then
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  else
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  fi
  ctest_count "build/$flavour" -L runtime
done
