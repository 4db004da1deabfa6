#!/usr/bin/env bash
# How the cost per commit grows with stored attempts: seed learners, attempts,
# their SCO states (1.5 KB each) and a journal row each into a running
# server's database (10,000, then 100,000, then 1,000,000 attempts), and load
# it with the external generator at 64 learners after each step.
#
# usage: go build -o lectern . && bash lms/bench/scripts/growth.sh sqlite|pg
# needs: sqlite3, or PostgreSQL on 127.0.0.1:5432 (user postgres, trust; it
# creates and drops the database lectern_mg), and curl; uses ports 18080-18081
# and the folder /tmp/m-g-KIND (about 4.5 GB with SQLite at the end).
set -u
L=${L:-./lectern}
DUR=${DUR:-20s}
kind=${1:-}
case "$kind" in sqlite | pg) ;; *) echo "usage: growth.sh sqlite|pg" >&2; exit 2 ;; esac
pids=()
stop_all() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; pids=(); }
trap stop_all EXIT
data=/tmp/m-g-$kind; rm -rf "$data"; mkdir -p "$data"
db=""; dbarg=()
if [ "$kind" = pg ]; then
  psql -qh 127.0.0.1 -U postgres -c "drop database if exists lectern_mg" -c "create database lectern_mg" >/dev/null
  db="postgres://postgres@127.0.0.1:5432/lectern_mg?sslmode=disable"; dbarg=(--db "$db")
fi
"$L" serve --data "$data" --addr 127.0.0.1:18080 --content-addr 127.0.0.1:18081 --base-url http://127.0.0.1:18080 \
  --content-url http://127.0.0.1:18081 --log-level error --max-conns-per-client 100000 "${dbarg[@]}" >/tmp/m-g.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs http://127.0.0.1:18081/readyz >/dev/null && break; sleep 0.2; done
bench() { "$L" bench commit --target http://127.0.0.1:18081 --data "$data" "${dbarg[@]}" --learners 64 --duration "$DUR" 2>&1 | tail -1; }
echo "== warm-up (creates the bench course the seed attempts belong to)"
DUR=3s bench
seed() { # FROM TO
  if [ "$kind" = pg ]; then
    psql -qh 127.0.0.1 -U postgres -d lectern_mg -v ON_ERROR_STOP=1 <<EOF
BEGIN;
CREATE TEMP TABLE v AS SELECT cv.id AS vid, cv.course_id AS cid, (SELECT min(id) FROM items i WHERE i.version_id = cv.id AND i.launch IS NOT NULL) AS iid FROM course_versions cv ORDER BY cv.id LIMIT 1;
CREATE TEMP TABLE mark AS SELECT coalesce(max(id), 0) AS uid FROM users;
INSERT INTO users (email, name, password_hash, admin, active, created_at, updated_at, language)
  SELECT 'seed' || g || '@seed.test', 'Seed ' || g, 'x', false, true, now(), now(), '' FROM generate_series($1, $2) g;
CREATE TEMP TABLE amark AS SELECT coalesce(max(id), 0) AS aid FROM attempts;
INSERT INTO attempts (user_id, course_id, version_id, number, completion, success, total_seconds, suspended, closed, started_at, last_access_at, test)
  SELECT u.id, v.cid, v.vid, 1, 'incomplete', 'unknown', 60, true, false, now(), now(), false
  FROM users u, v WHERE u.id > (SELECT uid FROM mark);
INSERT INTO sco_states (attempt_id, item_id, state, completion, success, total_seconds, sessions, updated_at)
  SELECT a.id, v.iid, convert_to(repeat(md5(a.id::text), 47), 'UTF8'), 'incomplete', 'unknown', 60, 1, now()
  FROM attempts a, v WHERE a.id > (SELECT aid FROM amark);
INSERT INTO commits (launch_id, attempt_id, item_id, seq, changes, terminate, at)
  SELECT md5(s.attempt_id::text) || md5(s.item_id::text), s.attempt_id, s.item_id, 1, convert_to(repeat('x', 300), 'UTF8'), false, now()
  FROM sco_states s WHERE s.attempt_id > (SELECT aid FROM amark);
COMMIT;
ANALYZE;
EOF
  else
    sqlite3 -bail "$data/lectern.db" <<EOF
.timeout 60000
BEGIN IMMEDIATE;
CREATE TEMP TABLE v AS SELECT cv.id AS vid, cv.course_id AS cid, (SELECT min(id) FROM items i WHERE i.version_id = cv.id AND i.launch IS NOT NULL) AS iid FROM course_versions cv ORDER BY cv.id LIMIT 1;
CREATE TEMP TABLE mark AS SELECT coalesce(max(id), 0) AS uid FROM users;
WITH RECURSIVE s(g) AS (SELECT $1 UNION ALL SELECT g + 1 FROM s WHERE g < $2)
INSERT INTO users (email, name, password_hash, admin, active, created_at, updated_at, language)
  SELECT 'seed' || g || '@seed.test', 'Seed ' || g, 'x', 0, 1, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), '' FROM s;
CREATE TEMP TABLE amark AS SELECT coalesce(max(id), 0) AS aid FROM attempts;
INSERT INTO attempts (user_id, course_id, version_id, number, completion, success, total_seconds, suspended, closed, started_at, last_access_at, test)
  SELECT u.id, v.cid, v.vid, 1, 'incomplete', 'unknown', 60, 1, 0, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), 0
  FROM users u, v WHERE u.id > (SELECT uid FROM mark);
INSERT INTO sco_states (attempt_id, item_id, state, completion, success, total_seconds, sessions, updated_at)
  SELECT a.id, v.iid, randomblob(1500), 'incomplete', 'unknown', 60, 1, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
  FROM attempts a, v WHERE a.id > (SELECT aid FROM amark);
INSERT INTO commits (launch_id, attempt_id, item_id, seq, changes, terminate, at)
  SELECT lower(hex(randomblob(32))), s.attempt_id, s.item_id, 1, zeroblob(300), 0, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
  FROM sco_states s WHERE s.attempt_id > (SELECT aid FROM amark);
COMMIT;
ANALYZE;
EOF
  fi
}
total() {
  if [ "$kind" = pg ]; then psql -tAh 127.0.0.1 -U postgres -d lectern_mg -c "select count(*) from attempts"
  else sqlite3 "$data/lectern.db" "select count(*) from attempts"; fi
}
from=1
for to in 10000 100000 1000000; do
  s=$(date +%s); seed $from $to || exit 1; from=$((to + 1))
  echo "== $(total) stored attempts (seeded in $(( $(date +%s) - s )) s)"
  bench
done
