#!/usr/bin/env bash
# Runs part of the vscode suite N times in a row and tallies the runs, for hunting a flaky
# test (issue #20). Builds once, then passes --no-build; a failed run keeps its state folder
# (test-vscode.mjs prints its path) and its screenshots are copied to test-results/repeat-<i>/.
# Usage: bash scripts/repeat-vscode.sh N [test-vscode.mjs options, e.g. --only scenarios --grep ownership]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:?usage: repeat-vscode.sh N [options]}; shift
node esbuild.mjs >/dev/null && node scripts/build-tests.mjs >/dev/null || exit 2
ok=0; bad=0
for i in $(seq 1 "$n"); do
  t=$(date +%s)
  out=$(node scripts/test-vscode.mjs --no-build "$@" 2>&1)
  last=$(grep -E '^vscode: [0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1)
  if grep -qE ', 0 failed' <<<"$last" && ! grep -qE '^vscode: 0 passed' <<<"$last"; then
    ok=$((ok + 1)); verdict=pass
  else
    bad=$((bad + 1)); verdict=FAIL
    mkdir -p "test-results/repeat-$i" && cp test-results/*.png "test-results/repeat-$i/" 2>/dev/null
    grep -E -A3 '✘|CRASHED' <<<"$out" | sed 's/^/      /'; grep -E 'state kept' <<<"$out" | sed 's/^/      /'
  fi
  echo "run $i/$n: $verdict · ${last#vscode: } · $(( $(date +%s) - t )) s · load $(cut -d' ' -f1 /proc/loadavg)"
done
echo "repeat: $ok of $n runs passed, $bad failed"
[ "$bad" = 0 ]
