#!/usr/bin/env bash
# bench.sh: the throughput table of docs/PERFORMANCE.md. Runs each loopback
# benchmark beside its baseline in the same run, COUNT times (default 5),
# and prints the median rates and their ratio; "no log" is the node with no
# front end reading its events (message lines dropped at the bus).
#
#   scripts/bench.sh [COUNT]
set -euo pipefail
count=${1:-5}
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test -run '^$' -bench 'Loopback' -benchtime 2s -count "$count" ./peer/bitclone/ | tee "$out" >&2

# Lines look like: BenchmarkLoopbackFlood/node-2  N  ns/op  RATE unit/s
awk '
/^BenchmarkLoopback/ {
	split($1, name, "/"); bench = name[1]; sub(/^BenchmarkLoopback/, "", bench)
	side = name[2]; sub(/-[0-9]+$/, "", side)
	rate[bench, side, ++n[bench, side]] = $(NF-1); unit[bench] = $NF
	benches[bench] = 1; sides[bench, side] = 1
}
function median(b, s,    k, i, j, t, v) {
	k = n[b, s]
	for (i = 1; i <= k; i++) v[i] = rate[b, s, i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
}
END {
	printf "\n%-10s %-13s %12s %12s %6s %12s %6s\n", "benchmark", "unit", "baseline", "bitclone", "ratio", "no log", "ratio"
	for (b in benches) {
		base = ""
		for (key in sides) { split(key, p, SUBSEP); if (p[1] == b && p[2] ~ /^baseline/) base = p[2] }
		bm = median(b, base); nm = median(b, "node")
		if ((b, "node-no-log") in sides) {
			q = median(b, "node-no-log")
			printf "%-10s %-13s %12.0f %12.0f %6.2f %12.0f %6.2f\n", b, unit[b], bm, nm, nm / bm, q, q / bm
		} else {
			printf "%-10s %-13s %12.0f %12.0f %6.2f %12s %6s\n", b, unit[b], bm, nm, nm / bm, "-", "-"
		}
	}
}' "$out"
