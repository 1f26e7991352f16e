#!/usr/bin/env bash
# Builds every libFuzzer target in fuzz/ (AddressSanitizer, exclusivity checked)
# and runs each for SECONDS (default 60), or RUNS executions with FUZZ_RUNS=N.
# FUZZ_SEED=N makes a run repeatable: the same inputs for the same code.
#   FUZZ_SEED=1 FUZZ_RUNS=20000 scripts/fuzz.sh  # the CI smoke
#   scripts/fuzz.sh 1800                         # the long runs RELIABILITY.md reports
#   FUZZ_TARGETS="Framer URL" scripts/fuzz.sh 30
# A crash leaves its input in fuzz/findings/<Target>/; once fixed, commit it to
# fuzz/regressions/<Target>/ so that `swift test` replays it forever.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
targets=${FUZZ_TARGETS:-"Framer Message Server PlainCommands ClientSession URL Bridge BotReply Webhook Cluster"}
export SWIFT_BACKTRACE=enable=no   # Swift's crash handler confuses libFuzzer's reports
# A seeded run is only repeatable if Dictionary and Set iterate the same way each time.
[ -n "${FUZZ_SEED:-}" ] && export SWIFT_DETERMINISTIC_HASHING=1

# -sanitize=fuzzer,address through -Xswiftc instruments the code; --sanitize=fuzzer
# makes SwiftPM link libFuzzer's main instead of its own. Release builds of relay
# turn exclusivity checks off; here they stay on, so a violation is a finding.
flags=(-c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -enforce-exclusivity=checked)
for target in $targets; do
  swift build "${flags[@]}" --product "Fuzz$target" 2>&1 | grep -E "error|warning: unre" || true
done
bin=$(swift build "${flags[@]}" --show-bin-path)

status=0
for target in $targets; do
  corpus=$(mktemp -d)
  cp corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  mkdir -p findings/"$target"
  limit=(-max_total_time="$seconds")
  [ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
  [ -n "${FUZZ_SEED:-}" ] && limit+=(-seed="$FUZZ_SEED")
  log=findings/"$target"/last-run.log
  length="$seconds s"; [ -n "${FUZZ_RUNS:-}" ] && length="$FUZZ_RUNS runs"
  echo "fuzz: $target ($length${FUZZ_SEED:+, seed $FUZZ_SEED})"
  if ! "$bin/Fuzz$target" "$corpus" corpus/"$target" -dict=dict/irc.dict "${limit[@]}" -max_len=4096 \
      -artifact_prefix=findings/"$target"/ -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $target FAILED; see fuzz/$log and the input in fuzz/findings/$target/"
    tail -n 30 "$log"
    status=1
  fi
  grep -E "Loaded [0-9]+ modules|stat::number_of_executed_units|stat::peak_rss_mb" "$log" | sed "s/^/fuzz: $target: /"
  rm -rf "$corpus"
done
exit $status
