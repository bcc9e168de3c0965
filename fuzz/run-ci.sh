#!/usr/bin/env bash
# CI's bounded fuzzing: builds every fuzz target once, then runs each on its committed corpus
# for FUZZ_SECONDS (default 15) and fails on the first crash, leak, timeout or out-of-memory.
# The corpus is only read here (new inputs go to a scratch directory), so a CI run never
# changes the repository; a crash leaves its input in fuzz/artifacts/<target>/.
#
# Installs what it lacks, idempotently: the nightly toolchain (minimal profile) and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"

seconds=${FUZZ_SECONDS:-15}
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# No sanitizer: the fuzzed decoders are safe Rust, and without ASan each runs about twice as
# many inputs in the same time (panics, overflow checks and debug assertions still fire).
opts=(--sanitizer none)
cargo +nightly fuzz build "${opts[@]}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for target in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$target"
  printf '\n== fuzz %s (%ss)\n' "$target" "$seconds"
  # The scratch directory first: new inputs are written there, the committed corpus is read.
  status=0
  cargo +nightly fuzz run "${opts[@]}" "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$scratch/$target.log" 2>&1 || status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units)' "$scratch/$target.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$scratch/$target.log"
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found a crash in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: every target ran ${seconds}s without a crash"
