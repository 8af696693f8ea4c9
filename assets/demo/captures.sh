#!/usr/bin/env bash
# Regenerates the text captures docs/console.md shows: drives `timport demo` in a
# detached 100x28 tmux session and saves each screen to OUT (default ./captures).
#   cargo build --release && assets/demo/captures.sh [OUT]
# (BIN=./target/debug/timport works too.) It uses a tmux server of its own, never yours.
set -u
S=timport-captures
tmux() { command tmux -L timport-captures "$@"; }
BIN=${BIN:-./target/release/timport}
OUT=${1:-captures}
mkdir -p "$OUT"
HOME_DIR=/tmp/timport-captures
rm -rf "$HOME_DIR"; mkdir -p "$HOME_DIR"
tmux kill-session -t $S 2>/dev/null
tmux new-session -d -s $S -x 100 -y 28 \
  "TIMPORT_CONFIG_DIR=$HOME_DIR/config TIMPORT_DATA_DIR=$HOME_DIR/data $BIN demo"
k() { tmux send-keys -t $S "$@"; sleep 0.4; }
cap() { sleep 0.6; tmux capture-pane -p -t $S > "$OUT/$1.txt"; }
sleep 3
cap groups
k 1; cap connect
# Files, sorted by name: @TGS#_bookclub, accounts, archive-2019, eng-core, ...
k 3; k g; k j; k j; k j; k Tab; cap files
k Enter; cap problem
k Escape; sleep 0.3
# Groups: support-desk, eng-core, @TGS#_bookclub, town-hall, live-launch, ...
k 2; k g; k j; k j; k j; k j; k Enter; cap preview
k A; cap launch
k y; sleep 3; cap run
k g; k Enter; cap inspector
k s; tmux send-keys -t $S "older than the group's first message in the new system"; sleep 0.3; cap skip
k Enter; sleep 1; cap run_after
k '?'; cap help
k Escape; sleep 0.3; k q; cap quit
k y; sleep 2
tmux kill-session -t $S 2>/dev/null
rm -rf "$HOME_DIR"
