#!/usr/bin/env bash
# Instructions per benchmark operation under the C1 compiler alone, counted by valgrind: the compiler the
# real-stack benchmark's guest JVM runs, and a count that does not depend on the machine's load. Run by hand;
# the build never runs it. Needs valgrind and the benchmarks jar (./mvnw -pl benchmarks -am package -DskipTests).
#
#   benchmarks/c1-instructions.sh EngineOverheadBenchmark -p packets=8
#   benchmarks/c1-instructions.sh 'LibusbTransferFieldsBenchmark.backend' -p packets=8 -p fields=inPlace
#
# The benchmark runs twice, each time in one JVM (JMH's single-shot mode, -f 0): a warm-up batch of WARMUP
# operations (default 100000, so that C1 has compiled the path, synchronously with -Xbatch), then a measured
# batch of N or 2N operations (N default 50000). The difference of the two runs' instruction counts over N
# is the cost of one operation: JVM start, JMH and the warm-up cancel out. JAR=... counts another build.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { sed -n '2,12p' "$0"; exit 2; }
command -v valgrind > /dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
jar=${JAR:-benchmarks/target/benchmarks.jar}
[[ -f "$jar" ]] || { echo "no $jar: ./mvnw -B -pl benchmarks -am package -DskipTests" >&2; exit 2; }
n=${N:-50000}
warmup=${WARMUP:-100000}

count() {
  valgrind --tool=callgrind --trace-children=yes --smc-check=all-non-file --callgrind-out-file=/dev/null \
    "${JAVA:-java}" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xbatch -Djmh.ignoreLock=true -jar "$jar" "$@" \
    -f 0 -bm ss -wi 1 -wbs "$warmup" -i 1 -bs "$batch" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

batch=$n; one=$(count "$@")
batch=$((2 * n)); two=$(count "$@")
[[ -n "$one" && -n "$two" ]] || { echo "valgrind gave no count" >&2; exit 1; }
echo "$*: $(((two - one) / n)) instructions per operation (C1, $n operations after $warmup)"
