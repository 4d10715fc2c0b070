#!/usr/bin/env bash
# Runs every check and test Spindle has: formatting, clippy, the workspace
# tests (the language's spec suites among them, once normally and once under
# GC stress), and the loom models. CI runs exactly this script.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> %s\n' "$*"; }

# Every test runner's output also goes to this log, so the script can close
# with one line totalling all of them.
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "toolchain components"
for c in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "workspace tests"
cargo test --workspace 2>&1 | tee -a "$log"

step "Miri: heap, raw task and wait-table unit tests"
# Miri needs the nightly toolchain; install its component when missing. A
# machine that cannot get it says so and goes on (it is not a test failure).
if rustup +nightly component list --installed 2>/dev/null | grep -q '^miri' \
  || rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1; then
  miri_test() { CARGO_TARGET_DIR=target-miri cargo +nightly miri test "$@"; }
  miri_test -p spindle-sync --lib 2>&1 | tee -a "$log"
  miri_test -p spindle-rt --lib task 2>&1 | tee -a "$log"
  miri_test -p spindle-lang --lib -- heap:: gc:: 2>&1 | tee -a "$log"
else
  echo "skipped Miri: could not install the nightly miri component"
fi

step "loom models (release, LOOM_MAX_PREEMPTIONS=2)"
# Their own target dir, so --cfg loom does not invalidate the normal build.
# Release mode without LTO: the models need optimised code, not a slow link.
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 \
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_TARGET_DIR=target-loom \
  cargo test --release -p spindle-loom-tests 2>&1 | tee -a "$log"

step "summary"
awk '/^test result:/ { p += $4; f += $6 } END { printf "all test runners: %d passed, %d failed\n", p, f }' "$log"
