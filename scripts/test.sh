#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test,
# then the pipeline's tests again under AddressSanitizer + UBSan (build-asan)
# and the libFuzzer targets over copies of their corpora (build-fuzz, clang).
# The sanitizer and fuzzer builds run at the lowest priority while the suite
# runs (its process tests leave the cores idle much of the time), so the whole
# stays within CI's 15 minutes on two cores.
# SCANGATE_SKIP_SANITIZERS=1 runs the first part only (a quick local loop);
# SCANGATE_SANITIZERS_ONLY=1 the second part only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# The suite's build treats our own warnings as errors (scangate_warnings).
export SCANGATE_WERROR="${SCANGATE_WERROR:-ON}"
# The suite runs no bench: it builds without them to stay within CI's 15
# minutes on two cores (SCANGATE_BUILD_BENCH=ON builds them too; the tests
# compile the corpora they share with the benches themselves).
export SCANGATE_BUILD_BENCH="${SCANGATE_BUILD_BENCH:-OFF}"
install_missing

ASAN_DIR="${SCANGATE_ASAN_DIR:-$SCANGATE_ROOT/build-asan}"
ASAN_TESTS=(decode_test engine_test barcode_test)
FUZZ_TARGETS=(fuzz_page fuzz_profile)
# SCANGATE_SANITIZE_ALL=1 adds summary_sheet_test (form registration, fields,
# signatures and seals: the pixel indexing every page of a form profile
# runs; ~25 s of CPU under ASan) and the Scan-protocol fuzzer. Their builds
# take about 4 minutes of the two cores: CI's 15 minutes do not hold them
# beside the suite, so they run with SCANGATE_SANITIZERS_ONLY=1 (before a
# release, and after changes to the summary sheet or the Scan stream).
if [ "${SCANGATE_SANITIZE_ALL:-0}" = 1 ]; then
  ASAN_TESTS+=(summary_sheet_test)
  FUZZ_TARGETS+=(fuzz_scan)
fi
FUZZ_DIR="${SCANGATE_FUZZ_DIR:-$SCANGATE_ROOT/build-fuzz}"

# The ASan+UBSan tests and the libFuzzer targets, built one after the other.
build_sanitized() {
  mkdir -p "$ASAN_DIR" "$FUZZ_DIR"
  if ! { cmake -S "$SCANGATE_ROOT" -B "$ASAN_DIR" -DCMAKE_BUILD_TYPE=Release \
           -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DSCANGATE_SANITIZE=ON -DSCANGATE_BUILD_BENCH=OFF &&
         cmake --build "$ASAN_DIR" -j "$(nproc)" --target "${ASAN_TESTS[@]}"; } \
       >"$ASAN_DIR/build.log" 2>&1; then
    echo asan >"$ASAN_DIR/failed"
    return 1
  fi
  if ! { CC=clang CXX=clang++ cmake -S "$SCANGATE_ROOT" -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=Release \
           -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DSCANGATE_FUZZ=ON &&
         cmake --build "$FUZZ_DIR" -j "$(nproc)" --target "${FUZZ_TARGETS[@]}"; } \
       >"$FUZZ_DIR/build.log" 2>&1; then
    echo fuzz >"$FUZZ_DIR/failed"
    return 1
  fi
}

sanitized_pid=""
if [ "${SCANGATE_SKIP_SANITIZERS:-0}" != 1 ]; then
  rm -f "$ASAN_DIR/failed" "$FUZZ_DIR/failed"
  if [ "${SCANGATE_SANITIZERS_ONLY:-0}" = 1 ]; then
    build_sanitized || true
  else
    # The main build first, alone: the suite needs it.
    build
    echo "sanitizers: building ${ASAN_TESTS[*]} (ASan+UBSan, $ASAN_DIR) and the fuzz targets (clang, $FUZZ_DIR) at low priority beside the suite"
    nice -n 19 bash -c "$(declare -f build_sanitized); $(declare -p ASAN_DIR FUZZ_DIR ASAN_TESTS FUZZ_TARGETS SCANGATE_ROOT); build_sanitized" &
    sanitized_pid=$!
  fi
fi
if [ "${SCANGATE_SANITIZERS_ONLY:-0}" != 1 ]; then
  [ -n "$sanitized_pid" ] || build
  (cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)" --timeout 600)
fi

[ "${SCANGATE_SKIP_SANITIZERS:-0}" = 1 ] && exit 0
start=$SECONDS
[ -z "$sanitized_pid" ] || wait "$sanitized_pid" || true
if [ -f "$ASAN_DIR/failed" ] || [ -f "$FUZZ_DIR/failed" ]; then
  for log in "$ASAN_DIR/build.log" "$FUZZ_DIR/build.log"; do [ -f "$log" ] && tail -n 40 "$log"; done
  echo "sanitizers: a sanitized build failed" >&2
  exit 1
fi
echo "sanitizers: builds done ($((SECONDS - start)) s waited after the suite)"

# --- ASan + UBSan: the pipeline (decode, engine, barcodes, summary sheets) ----
# Only the tests over untrusted bytes and the engine's threads: the rest of
# the suite adds minutes under ASan without reaching other code of ours.
start=$SECONDS
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
pids=()
for t in "${ASAN_TESTS[@]}"; do
  "$ASAN_DIR/tests/$t" --gtest_brief=1 >"$ASAN_DIR/$t.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!ASAN_TESTS[@]}"; do
  if wait "${pids[$i]}"; then
    echo "sanitizers: ${ASAN_TESTS[$i]} passed: $(grep -h 'PASSED' "$ASAN_DIR/${ASAN_TESTS[$i]}.log" | tr -s ' ')"
  else
    echo "sanitizers: ${ASAN_TESTS[$i]} FAILED; its log:" >&2
    tail -n 60 "$ASAN_DIR/${ASAN_TESTS[$i]}.log" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
echo "sanitizers: done in $((SECONDS - start)) s"

# --- libFuzzer: a short fixed run over a copy of the corpus -------------------
FUZZ_RUNS="${SCANGATE_FUZZ_RUNS:-1000}"
start=$SECONDS
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
cp "$SCANGATE_ROOT"/tests/fuzz/corpus/* "$corpus"/
# New inputs land in the copy, never in the repository's corpus.
if ! "$FUZZ_DIR/tests/fuzz/fuzz_page" -runs="$FUZZ_RUNS" -seed=1 -max_len=65536 -rss_limit_mb=4096 -artifact_prefix="$FUZZ_DIR/" \
       "$corpus" >"$FUZZ_DIR/fuzz.log" 2>&1; then
  tail -n 60 "$FUZZ_DIR/fuzz.log" >&2
  echo "fuzz: a finding (the input is kept in $FUZZ_DIR)" >&2
  exit 1
fi
echo "fuzz: $(grep -E '^Done [0-9]+ runs' "$FUZZ_DIR/fuzz.log" || tail -n 1 "$FUZZ_DIR/fuzz.log") in $((SECONDS - start)) s"

# The profile loader: profile text as a reload reads it, seeded with the
# bundled profiles (and any findings kept in tests/fuzz/profile_corpus).
PROFILE_FUZZ_RUNS="${SCANGATE_PROFILE_FUZZ_RUNS:-3000}"
start=$SECONDS
profile_corpus="$(mktemp -d)"
trap 'rm -rf "$corpus" "$profile_corpus"' EXIT
cp "$SCANGATE_ROOT"/profiles/*.textproto "$profile_corpus"/
if [ -d "$SCANGATE_ROOT/tests/fuzz/profile_corpus" ]; then
  cp "$SCANGATE_ROOT"/tests/fuzz/profile_corpus/* "$profile_corpus"/
fi
if ! "$FUZZ_DIR/tests/fuzz/fuzz_profile" -runs="$PROFILE_FUZZ_RUNS" -seed=1 -max_len=8192 \
       -rss_limit_mb=2048 -timeout=10 -dict="$SCANGATE_ROOT/tests/fuzz/profile.dict" \
       -artifact_prefix="$FUZZ_DIR/profile-" "$profile_corpus" >"$FUZZ_DIR/fuzz_profile.log" 2>&1; then
  tail -n 60 "$FUZZ_DIR/fuzz_profile.log" >&2
  echo "fuzz: a finding in the profile loader (the input is kept in $FUZZ_DIR)" >&2
  exit 1
fi
echo "fuzz: profiles: $(grep -E '^Done [0-9]+ runs' "$FUZZ_DIR/fuzz_profile.log" || tail -n 1 "$FUZZ_DIR/fuzz_profile.log") in $((SECONDS - start)) s"

# The Scan protocol: programs of requests (tests/fuzz/scan_ops.h) on streams
# to the service in-process, seeded from tests/fuzz/scan_corpus. Each input
# judges a few real pages under ASan: a few seconds' worth.
if [[ " ${FUZZ_TARGETS[*]} " == *" fuzz_scan "* ]]; then
  SCAN_FUZZ_RUNS="${SCANGATE_SCAN_FUZZ_RUNS:-40}"
  start=$SECONDS
  scan_corpus="$(mktemp -d)"
  trap 'rm -rf "$corpus" "$profile_corpus" "$scan_corpus"' EXIT
  cp "$SCANGATE_ROOT"/tests/fuzz/scan_corpus/* "$scan_corpus"/
  if ! "$FUZZ_DIR/tests/fuzz/fuzz_scan" -runs="$SCAN_FUZZ_RUNS" -seed=1 -max_len=4096 \
         -rss_limit_mb=4096 -timeout=60 -dict="$SCANGATE_ROOT/tests/fuzz/scan.dict" \
         -artifact_prefix="$FUZZ_DIR/scan-" "$scan_corpus" >"$FUZZ_DIR/fuzz_scan.log" 2>&1; then
    grep -v '^#' "$FUZZ_DIR/fuzz_scan.log" | tail -n 60 >&2
    echo "fuzz: a finding in the Scan protocol (the input is kept in $FUZZ_DIR)" >&2
    exit 1
  fi
  echo "fuzz: scan: $(grep -E '^Done [0-9]+ runs' "$FUZZ_DIR/fuzz_scan.log" || tail -n 1 "$FUZZ_DIR/fuzz_scan.log") in $((SECONDS - start)) s"
fi
