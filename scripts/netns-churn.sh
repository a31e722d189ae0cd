#!/usr/bin/env bash
# netns-churn.sh: a classroom on one machine. Builds N network namespaces,
# each a host with its own IP on a shared bridge, runs one bitclone in each,
# waits for the network to converge, then kills -9 a third of the nodes at
# random, checks every peers file, restarts them, and waits again.
#
#   sudo scripts/netns-churn.sh [-n NODES] [-r ROUNDS] [-k]
#
# Needs root and iproute2; without them it says so and exits 0. Everything it
# creates (namespaces bcbr and bc1..bcN, addresses in 198.18.0.0/24, the RFC
# 2544 benchmarking range) lives inside those namespaces and is removed at
# exit; -k keeps the logs directory.
set -euo pipefail

nodes=12 rounds=3 keep=0
while getopts "n:r:kh" opt; do
	case $opt in
	n) nodes=$OPTARG ;;
	r) rounds=$OPTARG ;;
	k) keep=1 ;;
	*) sed -n '2,12p' "$0"; exit 2 ;;
	esac
done
if ((nodes < 3 || nodes > 250)); then
	echo "netns-churn: -n must be 3..250" >&2
	exit 2
fi
if [[ $(id -u) != 0 ]] || ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
	echo "netns-churn: skipped: needs root and 'ip netns' (iproute2)"
	exit 0
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/bitclone-netns.XXXXXX)
bin=$work/bitclone
port=8088
target=$((nodes - 1 < 5 ? nodes - 1 : 5))
declare -A pids

ip_of() { echo "198.18.0.$1"; }

cleanup() {
	for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for i in $(seq 1 "$nodes"); do ip netns del "bc$i" 2>/dev/null || true; done
	ip netns del bcbr 2>/dev/null || true
	if ((keep)); then echo "netns-churn: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "netns-churn: building"
(cd "$repo" && go build -o "$bin" .)

echo "netns-churn: $nodes hosts on a bridge"
ip netns add bcbr
ip -n bcbr link add br0 type bridge
ip -n bcbr link set br0 up
for i in $(seq 1 "$nodes"); do
	ip netns add "bc$i"
	ip link add "bcv$i" type veth peer name eth0 netns "bc$i"
	ip link set "bcv$i" netns bcbr
	ip -n bcbr link set "bcv$i" master br0 up
	ip -n "bc$i" addr add "$(ip_of "$i")/24" dev eth0
	ip -n "bc$i" link set eth0 up
	ip -n "bc$i" link set lo up
done

start_node() { # start_node I [SEED...]
	local i=$1
	shift
	ip netns exec "bc$i" "$bin" --headless --host "$(ip_of "$i")" -p $port \
		--peers-file "$work/peers-$i.txt" --agent "host$i" \
		--ping-interval 1s --advertise-interval 1s --idle-timeout 4s --save-interval 200ms \
		"$@" </dev/null >>"$work/log-$i.txt" 2>&1 &
	pids[$i]=$!
}

# connections I: established TCP connections of host I's bitclone.
connections() {
	ip netns exec "bc$1" ss -Htn state established "( sport = :$port or dport = :$port )" | wc -l
}

# wait_converged LABEL: until every host has the target, or 60 s pass.
wait_converged() {
	local start=$SECONDS short
	while :; do
		short=0
		for i in $(seq 1 "$nodes"); do
			(($(connections "$i") >= target)) || short=$((short + 1))
		done
		if ((short == 0)); then
			echo "netns-churn: $1: every host has $target connections after $((SECONDS - start))s"
			return 0
		fi
		if ((SECONDS - start > 60)); then
			echo "netns-churn: $1: $short hosts still below $target connections after 60s" >&2
			return 1
		fi
		sleep 0.5
	done
}

# check_peers_files: every line is a comment or "ADDRESS SECONDS [SOURCE]".
check_peers_files() {
	local bad=0 f
	for f in "$work"/peers-*.txt; do
		[[ -e $f ]] || continue
		if grep -Evq '^(#.*|[0-9.]+:[0-9]+ [0-9]+( [a-z]+)?|\[[0-9a-f:.]+\]:[0-9]+ [0-9]+( [a-z]+)?)$' "$f"; then
			echo "netns-churn: corrupt peers file $f:" >&2
			cat "$f" >&2
			bad=1
		fi
	done
	return $bad
}

# Each host is told of one other (a ring): gossip does the rest.
for i in $(seq 1 "$nodes"); do
	start_node "$i" "$(ip_of $((i % nodes + 1))):$port"
done
wait_converged "start"

for round in $(seq 1 "$rounds"); do
	victims=$(seq 1 "$nodes" | shuf -n $((nodes / 3)))
	echo "netns-churn: round $round: kill -9 $(echo $victims | tr '\n' ' ')"
	for i in $victims; do
		kill -9 "${pids[$i]}"
		wait "${pids[$i]}" 2>/dev/null || true
		check_peers_files
	done
	# Restarted with no arguments: each finds the network from its peers file.
	for i in $victims; do start_node "$i"; done
	wait_converged "round $round"
	check_peers_files
done
echo "netns-churn: ok: $rounds rounds of churn, every peers file intact"
