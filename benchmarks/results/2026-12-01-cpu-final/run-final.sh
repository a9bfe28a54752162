#!/usr/bin/env bash
# Issue 10's final side-by-side measurement, meant for a quiet machine (no builds or tests beside it):
# the jkernels CPU backend "after" (this checkout) and "before" (BEFORE_COMMIT, default b095d43, the
# start of the second round; BEFORE=0 skips it), PyTorch CPU and numpy/OpenBLAS, with 2 threads (REPEAT times, tools
# alternating) and 1 thread (once), then ReLU over 64 M floats against the copy bandwidth, then the
# fallback without the Vector API. It builds both jars, runs ../2026-12-01-cpu/run-side-by-side.sh
# into run-HHMM/ here (machine.txt, load.txt with uptime at every step, every JSON and report), and
# writes run-HHMM/summary.md with summarize.py. About 10 minutes on the 2-core machine.
# OUT_DIR puts run-HHMM/ in another results folder (default: this script's folder).
# Usage: bash benchmarks/results/2026-12-01-cpu-final/run-final.sh      (from anywhere in the checkout)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out_dir=$(mkdir -p "${OUT_DIR:-$here}" && cd "${OUT_DIR:-$here}" && pwd)
run="$out_dir/run-$(date -u +%H%M)"
mkdir -p "$run/jars"
echo "$(date -u +%FT%TZ) start: load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$run/uptime.txt"
if awk '{exit !($1 > 1.5)}' /proc/loadavg; then
  echo "warning: 1-minute load above 1.5: the machine is not quiet; the figures will say so (load.txt)" | tee -a "$run/uptime.txt"
fi
(cd "$repo" && mvn -B -q -ntp -DskipTests -Djk.skipFatbin=true package)
cp "$repo/benchmarks/target/dist/jkernels-benchmarks.jar" "$run/jars/after.jar"
git -C "$repo" rev-parse HEAD > "$run/jars/after.commit"
before_jar=""
if [ "${BEFORE:-1}" != 0 ]; then
  before_commit=${BEFORE_COMMIT:-b095d43}
  wt=${TMPDIR:-/tmp}/jk-before-$before_commit
  [ -d "$wt" ] || git -C "$repo" worktree add -q --detach "$wt" "$before_commit"
  (cd "$wt" && mvn -B -q -ntp -DskipTests -Djk.skipFatbin=true package)
  cp "$wt/benchmarks/target/dist/jkernels-benchmarks.jar" "$run/jars/before.jar"
  echo "$before_commit" > "$run/jars/before.commit"
  before_jar="$run/jars/before.jar"
fi
# No full test suite at the same time (the lock every helper's suite takes).
AFTER_JAR="$run/jars/after.jar" BEFORE_JAR="$before_jar" BEFORE_EXTRA="--max-elements 67108864" REPEAT=${REPEAT:-2} \
  flock "${LOCK:-/tmp/jk-full.lock}" bash "$repo/benchmarks/results/2026-12-01-cpu/run-side-by-side.sh" "$run"
python3 "$repo/benchmarks/results/2026-12-01-cpu/summarize.py" "$run" > "$run/summary.md"
rm -rf "$run/jars"/*.jar
echo "$(date -u +%FT%TZ) end: load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$run/uptime.txt"
echo "summary: $run/summary.md"
