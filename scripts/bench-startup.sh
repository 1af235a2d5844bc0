#!/usr/bin/env bash
# Start-up to the first frame: runs the release binary in tmux and polls the pane until UNTIL shows.
# Prints one time per run (includes tmux's own latency and the 5 ms polling step).
#   MODE=running  an engine already runs on the data dir (the console only connects)   [default]
#   MODE=spawn    the engine is stopped before each run, so the console has to start it
#   TASKS=N       first fill the store with N finished tasks (copies of one real task)
#   UNTIL=TEXT    what to wait for [default: the tab bar, "1 Tasks"; with TASKS: the task list rows]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${BIN:-target/release/opsdeck}
RUNS=${RUNS:-10}
MODE=${MODE:-running}
TASKS=${TASKS:-0}
dir=$(mktemp -d)
export OPSDECK_CONFIG=$dir/config.toml OPSDECK_DATA_DIR=$dir/data
trap 'tmux kill-session -t opsdeck-startup 2>/dev/null || true; "$BIN" engine stop --force >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$BIN" template list >/dev/null 2>&1   # first run: seed config, store and templates
if [ "$TASKS" -gt 0 ]; then
    UNTIL=${UNTIL:-Run a shell command}
    "$BIN" task submit --template 9504 --tag demo --arg COMMAND=true --wait >/dev/null 2>&1
    python3 - "$OPSDECK_DATA_DIR/opsdeck.db" "$TASKS" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
want = int(sys.argv[2])
cols = ",".join(r[1] for r in db.execute("PRAGMA table_info(tasks)") if r[1] != "id")
have = db.execute("SELECT count(*) FROM tasks").fetchone()[0]
while have < want:
    k = min(want - have, have)
    db.execute(f"INSERT INTO tasks ({cols}) SELECT {cols} FROM tasks LIMIT {k}")
    have += k
db.commit()
print(f"store holds {have} tasks", file=sys.stderr)
EOF
fi
UNTIL=${UNTIL:-1 Tasks}
"$BIN" engine start >/dev/null
for i in $(seq "$RUNS"); do
    if [ "$MODE" = spawn ]; then
        "$BIN" engine stop --force >/dev/null
    fi
    start=$(date +%s%N)
    tmux new-session -d -s opsdeck-startup -x 120 -y 30 "OPSDECK_CONFIG=$OPSDECK_CONFIG OPSDECK_DATA_DIR=$OPSDECK_DATA_DIR $BIN"
    until tmux capture-pane -p -t opsdeck-startup 2>/dev/null | grep -q "$UNTIL"; do sleep 0.005; done
    end=$(date +%s%N)
    echo "run $i ($MODE, $TASKS tasks): $(( (end - start) / 1000000 )) ms until \"$UNTIL\""
    tmux kill-session -t opsdeck-startup
    sleep 0.3
done
