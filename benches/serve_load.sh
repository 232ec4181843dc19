#!/usr/bin/env bash
# `serve` under concurrent load on loopback: token requests per second with p50/p99 latency,
# measured by wrk (Debian package) against a release build of `oauth-drift serve`.
# Usage: benches/serve_load.sh [connections] [seconds]   (defaults: 64 connections, 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-64}
seconds=${2:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet
redirect="https://app.example.com/cb"
out=$(mktemp)
OAUTH_DRIFT_SERVE_CLIENT_SECRET=bench-secret target/release/oauth-drift serve --port 0 --quiet \
  --client-id bench --client-type web --redirect-uri "$redirect" > "$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
base=$(head -1 "$out")
location=$(curl -s -o /dev/null -w '%{redirect_url}' \
  "$base/o/oauth2/v2/auth?client_id=bench&redirect_uri=$redirect&response_type=code&scope=openid&access_type=offline&state=s")
code=$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$location")
export REFRESH_TOKEN=$(curl -s "$base/token" --data-urlencode grant_type=authorization_code --data-urlencode "code=$code" \
  --data-urlencode "redirect_uri=$redirect" -d client_id=bench -d client_secret=bench-secret \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["refresh_token"])')
echo "serve pid $pid at $base; wrk: $connections connections, 2 threads, ${seconds}s (after 3 s of warm-up)"
# the first seconds fill the stores and the allocator's arenas: not what a long-running serve does
wrk -t2 -c"$connections" -d3s -s benches/wrk/refresh.lua "$base" > /dev/null
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s benches/wrk/refresh.lua "$base"
echo "serve VmHWM after the run: $(grep VmHWM /proc/$pid/status)"
