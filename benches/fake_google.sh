#!/usr/bin/env bash
# Side by side, in one run (issue 11): the refresh-token grant
#   - on serve with `openid` granted (every answer carries a freshly signed RS256 id_token),
#   - on serve without `openid` (nothing to sign),
#   - on node oidc-provider (npm; also signs an RS256 id_token per refresh),
#   - on a bare wiremock server answering one static body (examples/bare_wiremock.rs), what
#     issue 11 states the target without `openid` against,
#   - on a bare hyper server answering one static body (examples/bare_static.rs), stricter,
# each driven by wrk (2 threads) for the same time and connections, plus the machine's own
# RSA-2048 signing rate from `openssl speed` in the same run: the physical limit of a
# signing token endpoint is openssl's sign/s on all cores. Prints the ratios the targets
# are stated in. wrk and the servers share the machine's cores.
#
# Usage: benches/fake_google.sh [connections] [seconds]   (defaults: 64 connections, 10 s)
# First, the RS256 signing rate of ring, aws-lc-rs and the `rsa` crate (benches/rsa-sign).
# Needs wrk (apt-get install wrk), openssl, node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-64}
seconds=${2:-10}
for tool in wrk openssl node npm curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
cargo build --release --quiet
cargo build --release --quiet --example bare_static --example bare_wiremock
node_dir=target/node-bench
if [ ! -f "$node_dir/node_modules/oidc-provider/package.json" ]; then
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"private": true}' > "$node_dir/package.json"
  npm install --prefix "$node_dir" --no-audit --no-fund --silent --save-exact oidc-provider@9.5.2
fi
cp benches/oidc_provider.mjs "$node_dir/"

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# first line of stdout that matches $2, within 10 s
first_line() {
  for _ in $(seq 100); do
    line=$(grep -m1 "$2" "$1" 2>/dev/null || true)
    [ -n "$line" ] && { echo "$line"; return; }
    sleep 0.1
  done
  echo "no output from $1" >&2; exit 1
}

# wrk against $1 (base) with REFRESH_TOKEN etc. in the environment; prints "rps p99_ms errors"
drive() {
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s benches/wrk/refresh.lua "$1" > "$work/wrk.txt"
  python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors:.*", text)
print(f"{rps:.0f} {p99:.2f} {int(bad.group(1)) if bad else 0}{' ' + errors.group(0) if errors else ''}")
PY
}

# a refresh token from serve, through a real authorization and code exchange
serve_token() { # base scope
  local redirect="https://app.example.com/cb" location code
  location=$(curl -s -o /dev/null -w '%{redirect_url}' \
    "$1/o/oauth2/v2/auth?client_id=bench&redirect_uri=$redirect&response_type=code&scope=$2&access_type=offline&state=s")
  code=$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$location")
  curl -s "$1/token" --data-urlencode grant_type=authorization_code --data-urlencode "code=$code" \
    --data-urlencode "redirect_uri=$redirect" -d client_id=bench -d client_secret=bench-secret \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["refresh_token"])'
}

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== RS256 signing per implementation (benches/rsa-sign, one thread, 3 s each)"
CARGO_TARGET_DIR=target/rsa-sign cargo run --quiet --release --manifest-path benches/rsa-sign/Cargo.toml -- 3
echo "== openssl speed rsa2048 (${seconds}s, one process per core)"
openssl speed -multi "$(nproc)" -seconds "$seconds" rsa2048 2>/dev/null > "$work/openssl.txt"
limit=$(python3 - "$work/openssl.txt" <<'PY'
import re, sys
# with -multi, the table's sign/s is the sum over the processes
text = open(sys.argv[1]).read()
print(re.search(r"rsa 2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", text).group(1))
PY
)
echo "signing limit: $limit signatures/s on $(nproc) cores"

OAUTH_DRIFT_SERVE_CLIENT_SECRET=bench-secret target/release/oauth-drift serve --port 0 --quiet \
  --client-id bench --client-type web --redirect-uri https://app.example.com/cb > "$work/serve.out" &
pids+=($!)
serve=$(first_line "$work/serve.out" '^http')
export CLIENT_ID=bench CLIENT_SECRET=bench-secret TOKEN_PATH=/token

echo "== serve, refresh with openid (signed id_token): $connections connections, ${seconds}s"
REFRESH_TOKEN=$(serve_token "$serve" "openid%20email") drive "$serve" | tee "$work/openid"
echo "== serve, refresh without openid (nothing signed)"
REFRESH_TOKEN=$(serve_token "$serve" "https://www.googleapis.com/auth/drive.file") drive "$serve" | tee "$work/plain"
kill "${pids[0]}"

target/release/examples/bare_static > "$work/bare.out" &
pids+=($!)
bare=$(first_line "$work/bare.out" '^http')
echo "== bare hyper server, static body"
REFRESH_TOKEN=unused drive "$bare" | tee "$work/bare"
kill "${pids[1]}"

target/release/examples/bare_wiremock > "$work/wiremock.out" &
pids+=($!)
bare_wiremock=$(first_line "$work/wiremock.out" '^http')
echo "== bare wiremock server, static body"
REFRESH_TOKEN=unused drive "$bare_wiremock" | tee "$work/wiremock"
kill "${pids[2]}"

(cd "$node_dir" && exec node oidc_provider.mjs) > "$work/op.out" 2>/dev/null &
pids+=($!)
op_line=$(first_line "$work/op.out" '^{')
op_base=$(echo "$op_line" | python3 -c 'import json, sys; print(json.load(sys.stdin)["base"])')
echo "== node oidc-provider $(node -p 'require("./'$node_dir'/node_modules/oidc-provider/package.json").version'), refresh with openid (signed id_token)"
REFRESH_TOKEN=$(echo "$op_line" | python3 -c 'import json, sys; print(json.load(sys.stdin)["refresh_token"])') \
  drive "$op_base" | tee "$work/op"

python3 - "$limit" "$work" <<'PY'
import sys
limit = float(sys.argv[1]); work = sys.argv[2]
def read(name):
    rps, p99, bad = open(f"{work}/{name}").read().split()[:3]
    return float(rps), float(p99), int(bad)
openid, plain, bare, wm, op = (read(n) for n in ("openid", "plain", "bare", "wiremock", "op"))
print()
print("| what | requests/s | p99 ms | non-200 |")
print("|---|---|---|---|")
for label, (rps, p99, bad) in [("serve, refresh with openid (signed)", openid), ("serve, refresh without openid", plain),
                               ("bare wiremock, static body", wm), ("bare hyper, static body", bare),
                               ("node oidc-provider, refresh with openid (signed)", op)]:
    print(f"| {label} | {rps:,.0f} | {p99:.2f} | {bad} |")
print(f"| openssl RSA-2048 signing limit (all cores) | {limit:,.0f} | | |")
print()
print(f"serve signed / signing limit:     {openid[0] / limit:.3f}  (target >= 0.7)")
print(f"serve signed / node oidc-provider: {openid[0] / op[0]:.3f}  (target >= 2.5)")
print(f"serve signed p99:                  {openid[1]:.2f} ms (target < 100 ms); oidc-provider p99 {op[1]:.2f} ms")
print(f"serve without openid / bare wiremock: {plain[0] / wm[0]:.3f}  (target >= 0.5)")
print(f"serve without openid / bare hyper:    {plain[0] / bare[0]:.3f}  (stricter: hyper alone, no mock matching)")
PY
