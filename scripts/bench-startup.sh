#!/usr/bin/env bash
# Start-up to the first frame: runs the release binary in tmux and polls the pane until the tab bar
# is drawn. Prints one time per run (includes tmux's own latency and the 5 ms polling step).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${BIN:-target/release/opsdeck}
RUNS=${RUNS:-10}
dir=$(mktemp -d)
trap 'tmux kill-session -t opsdeck-startup 2>/dev/null || true; rm -rf "$dir"' EXIT
export OPSDECK_CONFIG=$dir/config.toml OPSDECK_DATA_DIR=$dir/data
"$BIN" template list >/dev/null 2>&1   # first run: seed config, store and templates
for i in $(seq "$RUNS"); do
    start=$(date +%s%N)
    tmux new-session -d -s opsdeck-startup -x 120 -y 30 "OPSDECK_CONFIG=$OPSDECK_CONFIG OPSDECK_DATA_DIR=$OPSDECK_DATA_DIR $BIN"
    until tmux capture-pane -p -t opsdeck-startup 2>/dev/null | grep -q "1 Tasks"; do sleep 0.005; done
    end=$(date +%s%N)
    echo "run $i: $(( (end - start) / 1000000 )) ms to the first frame"
    tmux kill-session -t opsdeck-startup
    sleep 0.3
done
