#!/usr/bin/env bash
# Requests/second for a small GET straight to the origin versus through
# Rampart, measured in one run on this machine with wrk (Debian package).
# The origin is Rampart's built-in echo service; the proxy forwards to it.
# Usage: bench/wrk.sh [duration=10s] [connections=50] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}; conns=${2:-50}; thr=${3:-2}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000)); origin=$((port + 1)); metrics=$((port + 2))
sed -e "s/0.0.0.0:8080/127.0.0.1:$port/" -e "s/127.0.0.1:8081/127.0.0.1:$origin/g" \
    -e "s/127.0.0.1:9090/127.0.0.1:$metrics/" -e "s#/tmp/rampart.pid#$dir/pid#" \
    -e "s#/tmp/rampart_upgrade.sock#$dir/sock#" -e "s/access_log: stdout/access_log: off/" \
    -e "s/log_level: info/log_level: warn/" -e "s#\.\./filters#$PWD/filters#" conf/rampart.yaml > "$dir/rampart.yaml"
target/release/rampart run -c "$dir/rampart.yaml" 2>"$dir/err.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
echo "== direct to origin (echo service) 127.0.0.1:$origin"
wrk -t"$thr" -c"$conns" -d"$dur" --latency "http://127.0.0.1:$origin/small?x=1" | tee "$dir/direct.txt"
echo "== through rampart 127.0.0.1:$port"
wrk -t"$thr" -c"$conns" -d"$dur" --latency "http://127.0.0.1:$port/small?x=1" | tee "$dir/proxy.txt"
echo "== summary"
printf 'direct:  %s\nproxied: %s\n' "$(grep Requests/sec "$dir/direct.txt")" "$(grep Requests/sec "$dir/proxy.txt")"
