#!/usr/bin/env bash
# Log ingest benchmark: one local-connection host whose step prints `seq 1 LINES` (default 2,000,000),
# run through the real binary (`opsdeck task submit --wait`, stdout to /dev/null) under /usr/bin/time -v.
#
#   scripts/bench-ingest.sh            # LINES=2000000 RUNS=1
#
# Prints the wall time of the opsdeck process (it exits only after every line is committed), the
# lines stored (log_count of the task), lines/s, peak RSS, and the task's own start→finish time.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
LINES=${LINES:-2000000}
RUNS=${RUNS:-1}
for b in /usr/bin/time python3; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 2; }; done
cargo build --release --bin opsdeck >&2
OPSDECK=$PWD/target/release/opsdeck

W=$(mktemp -d /tmp/opsdeck-bench-ingest.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM
cat > "$W/config.toml" <<CFG
user = "root"
CFG
cat > "$W/inventory.toml" <<'INV'
[[hosts]]
name = "local1"
address = "127.0.0.1"
connection = "local"
INV
cat > "$W/tpl.toml" <<T
id = 9100
name = "ingest"
[[steps]]
group = 1
level = 1
name = "seq"
command = "seq 1 $LINES"
T
od() { "$OPSDECK" --config "$W/config.toml" --data-dir "$W/data" "$@"; }
od inventory import "$W/inventory.toml" >/dev/null
od template import "$W/tpl.toml" >/dev/null

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $LINES lines"
printf '%3s %8s %10s %12s %10s %9s %9s %s\n' run wall_s stored lines_per_s rss_MB user_s sys_s task_s
for r in $(seq 1 "$RUNS"); do
    /usr/bin/time -v -o "$W/time" "$OPSDECK" --config "$W/config.toml" --data-dir "$W/data" \
        task submit --template 9100 --host local1 --wait ${JSON---json} >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$W/time")
    rss=$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$W/time")
    u=$(awk -F': ' '/User time/{print $2}' "$W/time")
    s=$(awk -F': ' '/System time/{print $2}' "$W/time")
    read -r stored task_s < <(python3 - "$W/data/opsdeck.db" <<'PY'
import sqlite3, sys, datetime
c = sqlite3.connect(sys.argv[1])
tid, st, fi = c.execute("SELECT id, started_at, finished_at FROM tasks ORDER BY id DESC LIMIT 1").fetchone()
n = c.execute("SELECT count(*) FROM log_lines WHERE task_id = ? AND stream = 'stdout'", (tid,)).fetchone()[0]
p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(n, round((p(fi) - p(st)).total_seconds(), 2))
PY
)
    [ "$stored" -eq "$LINES" ] || echo "WARNING: stored $stored stdout lines, expected $LINES" >&2
    lps=$(awk -v n="$stored" -v w="$wall" 'BEGIN{printf "%.0f", n/w}')
    printf '%3s %8s %10s %12s %10s %9s %9s %s\n' "$r" "$wall" "$stored" "$lps" "$rss" "$u" "$s" "$task_s"
done
