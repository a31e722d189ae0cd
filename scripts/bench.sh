#!/usr/bin/env bash
# bench.sh: the throughput table of docs/PERFORMANCE.md. Runs each loopback
# benchmark beside its baseline in the same run, COUNT times (default 5),
# and prints the median rates and their ratio to the baseline's median. The
# node variants: "node" (a front end takes every batch of events, shows
# nothing and hands it back, as the TUI does),
# "node-no-log" (nobody reads events: message lines dropped at the bus),
# "headless" (the headless transcript written to a file) and
# "headless-quiet" (headless --quiet: no message events built at all).
#
#   scripts/bench.sh [COUNT] [BENCH-REGEXP]
set -euo pipefail
count=${1:-5}
pattern=${2:-Loopback}
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test -run '^$' -bench "$pattern" -benchtime 2s -count "$count" ./peer/bitclone/ | tee "$out" >&2

# Lines look like: BenchmarkLoopbackFlood/node-2  N  ns/op  RATE unit/s,
# with other metrics (dropped/line) before or after the rate.
awk '
/^BenchmarkLoopback/ {
	split($1, name, "/"); bench = name[1]; sub(/^BenchmarkLoopback/, "", bench)
	side = name[2]; sub(/-[0-9]+$/, "", side)
	d = ""
	for (f = 4; f <= NF; f += 2) {
		if ($f ~ /\/s$/) { r = $(f-1); u = $f }
		if ($f == "dropped/line") d = $(f-1)
	}
	rate[bench, side, ++n[bench, side]] = r; unit[bench] = u
	if (d != "") drop[bench, side, n[bench, side]] = d
	if (!((bench, side) in seen)) { seen[bench, side] = 1; order[bench, ++sides[bench]] = side }
	if (!(bench in benches)) { benches[bench] = 1; border[++nb] = bench }
}
function median(b, s,    k, i, j, t, v) {
	k = n[b, s]
	for (i = 1; i <= k; i++) v[i] = rate[b, s, i]
	return middle(v, k)
}
function dropped(b, s,    k, i, v) {
	k = n[b, s]
	if (!((b, s, 1) in drop)) return ""
	for (i = 1; i <= k; i++) v[i] = drop[b, s, i]
	return sprintf("%.2f", middle(v, k))
}
function middle(v, k,    i, j, t) {
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
}
END {
	printf "\n%-11s %-16s %-14s %12s %6s %8s\n", "benchmark", "variant", "unit", "median", "ratio", "dropped"
	for (i = 1; i <= nb; i++) {
		b = border[i]; base = ""
		for (j = 1; j <= sides[b]; j++) if (order[b, j] ~ /^baseline/) base = order[b, j]
		bm = median(b, base)
		for (j = 1; j <= sides[b]; j++) {
			s = order[b, j]; m = median(b, s)
			printf "%-11s %-16s %-14s %12.0f %6.2f %8s\n", b, s, unit[b], m, m / bm, dropped(b, s)
		}
	}
}' "$out"
