#!/usr/bin/env bash
# HTTPS requests/second, Rampart next to nginx, in one run on this machine,
# with the same certificate (ECDSA P-256, made here) and the same origin
# (Rampart's built-in echo service); both proxy to it. Every request has a
# new query value (h2load reads 20000 distinct URIs from a file).
#   - keep-alive: h2load over HTTP/2 (ALPN h2) and over HTTP/1.1 (--h1)
#   - a new TLS connection per request: wrk with `Connection: close` (a full
#     handshake each time; wrk does not resume sessions), new path per request
# Rampart runs the shipped WAF rules (conf/rampart.yaml); nginx has no WAF.
# Usage: bench/https.sh [seconds=10] [clients=50]
#        WAF=off bench/https.sh ...   Rampart with the WAF off (proxy and TLS alone)
# Needs: nginx, nghttp2-client (h2load), wrk, openssl, curl (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; clients=${2:-50}
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
dir=$(mktemp -d)
base=$((20000 + RANDOM % 20000))
plain=$base; origin=$((base + 1)); metrics=$((base + 2)); rtls=$((base + 3)); ntls=$((base + 4))

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=bench.test -addext subjectAltName=DNS:bench.test \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null

sed -e "s/0.0.0.0:8080/127.0.0.1:$plain/" -e "s/127.0.0.1:8081/127.0.0.1:$origin/g" \
    -e "s/127.0.0.1:9090/127.0.0.1:$metrics/" -e "s#/tmp/rampart.pid#$dir/pid#" \
    -e "s#/tmp/rampart_upgrade.sock#$dir/sock#" -e "s/access_log: stdout/access_log: off/" \
    -e "s/audit_log: stdout/audit_log: off/" \
    -e "s/log_level: info/log_level: warn/" -e "s#\.\./filters#$PWD/filters#" \
    conf/rampart.yaml > "$dir/rampart.yaml"
# A TLS listener beside the plain one, and the certificate.
python3 - "$dir/rampart.yaml" "$rtls" "$dir" <<'EOF'
import os, sys
path, port, d = sys.argv[1:]
s = open(path).read()
s = s.replace("listeners:\n", f"listeners:\n  - address: 127.0.0.1:{port}\n    tls: true\n", 1)
s += f"\ntls:\n  certificates:\n    - {{ cert: {d}/cert.pem, key: {d}/key.pem }}\n  default_certificate: bench.test\n"
if os.environ.get("WAF") == "off":
    s = s.replace("    waf: block\n", "    waf: \"off\"\n")
open(path, "w").write(s)
EOF

cat > "$dir/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path $dir/nginx-body;
  proxy_temp_path $dir/nginx-proxy;
  fastcgi_temp_path $dir/nginx-fcgi;
  uwsgi_temp_path $dir/nginx-uwsgi;
  scgi_temp_path $dir/nginx-scgi;
  upstream echo { server 127.0.0.1:$origin; keepalive 64; }
  server {
    listen 127.0.0.1:$ntls ssl http2;
    ssl_certificate $dir/cert.pem;
    ssl_certificate_key $dir/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
    }
  }
}
EOF

target/release/rampart run -c "$dir/rampart.yaml" 2>"$dir/rampart.log" &
rpid=$!
nginx -c "$dir/nginx.conf" -e "$dir/nginx-error.log"
trap 'kill $rpid 2>/dev/null; kill "$(cat "$dir/nginx.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
for port in $rtls $ntls; do
  for _ in $(seq 100); do
    curl -sfk --resolve "bench.test:$port:127.0.0.1" "https://bench.test:$port/" >/dev/null && break
    sleep 0.1
  done
done

uris() {
  python3 -c "
import random
for i in range(20000):
    print(f'https://bench.test:$1/item/{random.randrange(10**9)}?id={i}&q=v{random.randrange(10**9)}')
" > "$dir/uris-$1.txt"
}
uris $rtls; uris $ntls
cat > "$dir/unique.lua" <<'EOF'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/item/" .. math.random(1, 1000000000) .. "?id=" .. counter)
end
EOF

echo "== rampart (WAF ${WAF:-on}) $(target/release/rampart --version 2>/dev/null | head -1), nginx $(nginx -v 2>&1 | sed 's/.*\///'), ${secs}s each, $clients clients, 2 cores shared with the load generator"
declare -A result
for name in rampart nginx; do
  port=$rtls; [ $name = nginx ] && port=$ntls
  for mode in h2 h1; do
    flag=(); [ $mode = h1 ] && flag=(--h1)
    out=$(h2load "${flag[@]}" -D "$secs" -c "$clients" -m 1 -t 1 \
      --connect-to="127.0.0.1:$port" -i "$dir/uris-$port.txt" 2>&1)
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
    codes=$(sed -n 's/^status codes: //p' <<<"$out")
    result[$name-$mode]="$rps req/s ($codes)"
  done
  # A new TLS connection (full handshake) and one GET per request.
  out=$(wrk -t2 -c"$clients" -d"${secs}s" -H "Host: bench.test" -H "Connection: close" \
    -s "$dir/unique.lua" "https://127.0.0.1:$port/" 2>&1)
  rps=$(sed -n 's/^Requests\/sec: *//p' <<<"$out")
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *//p' <<<"$out")
  errs=$(sed -n 's/.*Socket errors: *//p' <<<"$out")
  result[$name-new]="$rps req/s (non-2xx ${non2xx:-0}; ${errs:-no socket errors})"
done
printf '%-8s %-44s %-44s\n' "" "rampart" "nginx"
printf '%-8s %-44s %-44s\n' "h2 k-a" "${result[rampart-h2]}" "${result[nginx-h2]}"
printf '%-8s %-44s %-44s\n' "h1 k-a" "${result[rampart-h1]}" "${result[nginx-h1]}"
printf '%-8s %-44s %-44s\n' "new conn" "${result[rampart-new]}" "${result[nginx-new]}"
