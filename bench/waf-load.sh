#!/usr/bin/env bash
# WAF throughput with values that are new on every request (bench/lua/*.lua):
# a GET with new query and cookie values, and a ~4.4 KB JSON POST with new
# field values, through Rampart (default config, WAF on, logs off) in front
# of its echo service; wrk 1 thread, 50 connections.
# Usage: bench/waf-load.sh [duration=5s] [BINARY...]   (default: target/release/rampart)
# With several binaries (e.g. built with different allocators) the runs are
# interleaved, three rounds, and the medians printed.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-5s}; shift || true
bins=("$@"); [ ${#bins[@]} -gt 0 ] || bins=(target/release/rampart)
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
results=$(mktemp)
run() { # bin scenario
  local bin=$1 lua=$2 dir port
  dir=$(mktemp -d); port=$((20000 + RANDOM % 20000))
  sed -e "s/0.0.0.0:8080/127.0.0.1:$port/" -e "s/127.0.0.1:8081/127.0.0.1:$((port + 1))/g" \
      -e "s/127.0.0.1:9090/127.0.0.1:$((port + 2))/" -e "s#/tmp/rampart.pid#$dir/pid#" \
      -e "s#/tmp/rampart_upgrade.sock#$dir/sock#" -e "s/access_log: stdout/access_log: off/" \
      -e "s/audit_log: stdout /audit_log: off /" -e "s/threads: 2/threads: 1/" \
      -e "s/log_level: info/log_level: warn/" -e "s#\.\./filters#$PWD/filters#" conf/rampart.yaml > "$dir/r.yaml"
  "$bin" run -c "$dir/r.yaml" >/dev/null 2>"$dir/err.log" &
  local pid=$!
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
  local rps rss
  rps=$(wrk -t1 -c50 -d"$dur" -s "bench/lua/$lua.lua" "http://127.0.0.1:$port" | awk '/Requests\/sec/ {print $2}')
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true; rm -rf "$dir"
  echo "$bin $lua $rps $rss" >> "$results"
}
for round in 1 2 3; do
  for lua in unique-get unique-json; do
    for b in "${bins[@]}"; do run "$b" "$lua"; done
  done
done
echo "binary scenario median_req/s median_peak_rss_KiB"
for b in "${bins[@]}"; do
  for lua in unique-get unique-json; do
    rps=$(awk -v b="$b" -v l="$lua" '$1==b && $2==l {print $3}' "$results" | sort -n | sed -n 2p)
    rss=$(awk -v b="$b" -v l="$lua" '$1==b && $2==l {print $4}' "$results" | sort -n | sed -n 2p)
    echo "$b $lua $rps $rss"
  done
done
rm -f "$results"
