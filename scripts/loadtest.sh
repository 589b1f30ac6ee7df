#!/usr/bin/env bash
# Load test of the thread and forum pages against 10,000 threads and
# 100,000 posts. Run inside kindred-dev, which provides the services:
#   make build && bin/kindred-dev test -- scripts/loadtest.sh
# Needs wrk (apt-get install wrk). Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "loadtest: install wrk first (apt-get install wrk)" >&2; exit 1; }
DB_URL=$(echo "$DATABASE_URL" | sed -E 's#/[^/?]+(\?|$)#/kindred_load\1#')
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS kindred_load" -qc "CREATE DATABASE kindred_load"
DATABASE_URL=$DB_URL bin/kindred migrate up >/dev/null
psql "$DB_URL" -q -f scripts/bench-seed.sql
THREAD=$(psql "$DB_URL" -Atc "SELECT id FROM threads WHERE title = 'Bench thread number 1'")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATABASE_URL=$DB_URL KINDRED_ADDR=127.0.0.1:$PORT KINDRED_BASE_URL=http://127.0.0.1:$PORT \
  KINDRED_SECRET_KEY=loadtest-secret-key-loadtest-secret-key KINDRED_LOG_LEVEL=${KINDRED_LOG_LEVEL:-info} \
  bin/kindred serve 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
# CPU ticks used so far by a set of processes (utime+stime from /proc).
cpu() { local t=0; for p in "$@"; do read -ra f < "/proc/$p/stat" 2>/dev/null || continue; t=$((t + f[13] + f[14])); done; echo "$t"; }
# PostgreSQL: the live processes, plus what exited backends left in the
# postmaster's children counters (cutime+cstime).
PM=$(ps -o ppid= -p "$(psql "$DB_URL" -Atc "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")" | tr -d ' ')
pg_cpu() {
  local t=0
  for p in $(pgrep -P "$PM"); do read -ra f < "/proc/$p/stat" 2>/dev/null || continue; t=$((t + f[13] + f[14])); done
  read -ra f < "/proc/$PM/stat"; echo $((t + f[13] + f[14] + f[15] + f[16]))
}
hz=$(getconf CLK_TCK)
for path in "/t/$THREAD" "/f/bench-forum"; do
  echo "== $path"
  # Warm up (connection pool, PostgreSQL's buffer cache and plan cache) without counting it.
  wrk -t2 -c50 -d${WARMUP:-5s} "http://127.0.0.1:$PORT$path" >/dev/null
  app0=$(cpu $SERVER); pg0=$(pg_cpu)
  out=$(wrk -t2 -c50 -d${DURATION:-20s} --latency "http://127.0.0.1:$PORT$path")
  app1=$(cpu $SERVER); pg1=$(pg_cpu)
  echo "$out" | grep -E 'Requests/sec|Latency|50%|90%|99%|Non-2xx'
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  awk -v a=$((app1-app0)) -v p=$((pg1-pg0)) -v n="$reqs" -v hz="$hz" \
    'BEGIN { printf "CPU per request: kindred %.3f ms, postgres %.3f ms\n", a/hz*1000/n, p/hz*1000/n }'
done
