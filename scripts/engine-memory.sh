#!/usr/bin/env bash
# The engine memory benchmark (BENCHMARKS.md, "Engine memory"): `timport run` on a staging
# directory made by `gen_staging --sandbox-seed`, against a `timport sandbox` child (no latency,
# 200 requests/s), for at most SECONDS (then Ctrl-C, as an operator would stop it). Prints the
# peak RSS (/usr/bin/time -v), a VmRSS sample every 30 s, and the run's last line.
#
# usage: scripts/engine-memory.sh STAGING_DIR SANDBOX_SEED SECONDS [more `timport run` flags]
# The binary is target/release/timport unless TIMPORT_BIN says otherwise.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,9p' "$0"; exit 2; }
DIR=$1; SEED=$2; SECS=$3; shift 3
BIN=${TIMPORT_BIN:-target/release/timport}
WORK=$(mktemp -d)
SB=
cleanup() { [ -n "$SB" ] && kill "$SB" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/key"
chmod 600 "$WORK/key"
PORT=$((20000 + RANDOM % 20000))
export TIMPORT_KEY_FILE=$WORK/key TIMPORT_SDKAPPID=1400000000 TIMPORT_ADMIN=administrator
"$BIN" sandbox --listen "127.0.0.1:$PORT" --seed "$SEED" > "$WORK/sandbox.log" 2>&1 &
SB=$!
sleep 1.5
/usr/bin/time -v -o "$WORK/time.txt" "$BIN" run "$DIR" --endpoint "http://127.0.0.1:$PORT" \
    --yes --rate 200 --ledger "$WORK/ledger.sqlite3" "$@" > /dev/null 2> "$WORK/run.log" &
TIMED=$!
sleep 0.5
RUN=$(pgrep -P "$TIMED")
t=0
while [ "$t" -lt "$SECS" ] && kill -0 "$RUN" 2>/dev/null; do
    sleep 5; t=$((t + 5))
    if [ $((t % 30)) -eq 0 ]; then
        echo "${t} s: $(grep VmRSS "/proc/$RUN/status" 2>/dev/null | tr -s ' \t' ' ')"
    fi
done
kill -INT "$RUN" 2>/dev/null || true
wait "$TIMED" || true
grep "Maximum resident" "$WORK/time.txt"
grep "message(s) imported" "$WORK/run.log" | tail -1
