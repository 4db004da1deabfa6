#!/usr/bin/env bash
# The README's commit figures from the external load generator: Lectern on
# SQLite, on PostgreSQL with one instance, and on PostgreSQL with two
# instances behind HAProxy, each loaded by "lectern bench commit --target"
# in its own process at 64 and 256 learners; and the floor, a raw SQLite
# upsert of the same payload ("lectern bench raw").
#
# usage: go build -o lectern . && bash lms/bench/scripts/external.sh [all|sqlite|pg1|pg2]
# needs: PostgreSQL on 127.0.0.1:5432 (user postgres, trust; it creates and
# drops the databases lectern_m1 and lectern_m2), haproxy and curl; uses
# ports 18080-18091 and 19080-19081 and folders /tmp/m-*.
# SERVEENV="K=V ..." sets environment variables for the servers only (say
# GOGC=100); TIMEIT="/usr/bin/time -f %U+%S" TAILN=3 also prints the load
# generator's own CPU seconds (user+system).
set -u
L=${L:-./lectern}
PGB=${PGB:-"postgres://postgres@127.0.0.1:5432"}
DUR=${DUR:-20s}
pids=()
stop_all() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; pids=(); [ -f /tmp/m-haproxy.pid ] && kill "$(cat /tmp/m-haproxy.pid)" 2>/dev/null; rm -f /tmp/m-haproxy.pid; sleep 1; }
trap stop_all EXIT

# serve NAME DATA ADDR CONTENTADDR BASEURL CONTENTURL [DB]
serve() {
  local args=(serve --data "$2" --addr "$3" --content-addr "$4" --base-url "$5" --content-url "$6" --log-level error
    --max-conns-per-client 100000 --trusted-proxies 127.0.0.1)
  [ -n "${7:-}" ] && args+=(--db "$7")
  env ${SERVEENV:-} "$L" "${args[@]}" >"/tmp/m-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://$4/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "instance $1 did not get ready" >&2; cat "/tmp/m-$1.log" >&2; return 1
}
bench() { # LABEL TARGET DATA DB LEARNERS
  echo "== $1, $5 learners"
  local a=(bench commit --target "$2" --data "$3" --learners "$5" --duration "$DUR")
  [ -n "$4" ] && a+=(--db "$4")
  ${TIMEIT:-} "$L" "${a[@]}" 2>&1 | tail -${TAILN:-2}
}
newpg() { psql -qh 127.0.0.1 -U postgres -c "drop database if exists $1" -c "create database $1" >/dev/null; }

what=${1:-all}
if [ "$what" = all ] || [ "$what" = sqlite ]; then
  rm -rf /tmp/m-sq; mkdir -p /tmp/m-sq
  serve sq /tmp/m-sq 127.0.0.1:18080 127.0.0.1:18081 http://127.0.0.1:18080 http://127.0.0.1:18081 || exit 1
  for n in 64 256; do bench "SQLite, one instance" http://127.0.0.1:18081 /tmp/m-sq "" $n; done
  stop_all
  # The floor, on the same disk with the server stopped: a raw SQLite
  # upsert of the same payload, one row per durable transaction.
  for n in 64 256; do echo "== raw SQLite upsert, $n writers"; "$L" bench raw --writers $n --duration "$DUR" --data /tmp/m-sq; done
fi
if [ "$what" = all ] || [ "$what" = pg1 ]; then
  newpg lectern_m1; rm -rf /tmp/m-p1; mkdir -p /tmp/m-p1
  db="$PGB/lectern_m1?sslmode=disable"
  serve p1 /tmp/m-p1 127.0.0.1:18080 127.0.0.1:18081 http://127.0.0.1:18080 http://127.0.0.1:18081 "$db" || exit 1
  for n in 64 256; do bench "PostgreSQL, one instance" http://127.0.0.1:18081 /tmp/m-p1 "$db" $n; done
  stop_all
fi
if [ "$what" = all ] || [ "$what" = pg2 ]; then
  newpg lectern_m2; rm -rf /tmp/m-p2; mkdir -p /tmp/m-p2
  db="$PGB/lectern_m2?sslmode=disable"
  "$L" migrate --db "$db" >/dev/null
  serve p2a /tmp/m-p2 127.0.0.1:18080 127.0.0.1:18081 http://127.0.0.1:19080 http://127.0.0.1:19081 "$db" || exit 1
  serve p2b /tmp/m-p2 127.0.0.1:18090 127.0.0.1:18091 http://127.0.0.1:19080 http://127.0.0.1:19081 "$db" || exit 1
  cat >/tmp/m-haproxy.cfg <<'EOF'
global
    maxconn 4000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend lms
    bind 127.0.0.1:19080
    default_backend lms
frontend content
    bind 127.0.0.1:19081
    default_backend content
backend lms
    balance roundrobin
    server a 127.0.0.1:18080
    server b 127.0.0.1:18090
backend content
    balance roundrobin
    http-reuse always
    server a 127.0.0.1:18081
    server b 127.0.0.1:18091
EOF
  haproxy -f /tmp/m-haproxy.cfg -D -p /tmp/m-haproxy.pid || exit 1
  sleep 1
  for n in 64 256; do bench "PostgreSQL, two instances behind HAProxy" http://127.0.0.1:19081 /tmp/m-p2 "$db" $n; done
  stop_all
fi
