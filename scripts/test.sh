#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test,
# then the pipeline's tests over untrusted bytes again under AddressSanitizer
# + UBSan and the libFuzzer targets over copies of their corpora. Both come
# from one clang build (build-fuzz, SCANGATE_FUZZ=ON): the pipeline is
# compiled with the sanitizers once. That build runs at the lowest priority
# while the suite runs (its process tests leave the cores idle much of the
# time), so the whole stays within CI's 15 minutes on two cores.
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

# Under ASan + UBSan: decoding, the engine's threads, barcodes and the summary
# sheet (form registration, fields, signatures, seals: the pixel indexing
# every page of a form profile runs). The rest of the suite would add minutes
# under ASan without reaching other code of ours.
ASAN_TESTS=(decode_test engine_test barcode_test summary_sheet_test)
FUZZ_TARGETS=(fuzz_page fuzz_profile fuzz_scan)
FUZZ_DIR="${SCANGATE_FUZZ_DIR:-$SCANGATE_ROOT/build-fuzz}"

# The sanitized tests and the libFuzzer targets: one clang build.
build_sanitized() {
  mkdir -p "$FUZZ_DIR"
  if ! { CC=clang CXX=clang++ cmake -S "$SCANGATE_ROOT" -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=Release \
           -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DSCANGATE_FUZZ=ON &&
         cmake --build "$FUZZ_DIR" -j "$(nproc)" --target "${ASAN_TESTS[@]}" "${FUZZ_TARGETS[@]}"; } \
       >"$FUZZ_DIR/build.log" 2>&1; then
    echo fuzz >"$FUZZ_DIR/failed"
    return 1
  fi
}

sanitized_pid=""
if [ "${SCANGATE_SKIP_SANITIZERS:-0}" != 1 ]; then
  rm -f "$FUZZ_DIR/failed"
  if [ "${SCANGATE_SANITIZERS_ONLY:-0}" = 1 ]; then
    build_sanitized || true
  else
    # The main build first, alone: the suite needs it.
    build
    echo "sanitizers: building ${ASAN_TESTS[*]} and ${FUZZ_TARGETS[*]} (clang, ASan+UBSan, $FUZZ_DIR) at low priority beside the suite"
    nice -n 19 bash -c "$(declare -f build_sanitized); $(declare -p FUZZ_DIR ASAN_TESTS FUZZ_TARGETS SCANGATE_ROOT); build_sanitized" &
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
if [ -f "$FUZZ_DIR/failed" ]; then
  tail -n 40 "$FUZZ_DIR/build.log"
  echo "sanitizers: the sanitized build failed" >&2
  exit 1
fi
echo "sanitizers: build done ($((SECONDS - start)) s waited after the suite)"

# --- ASan + UBSan: the pipeline (decode, engine, barcodes, summary sheets) ----
start=$SECONDS
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
pids=()
for t in "${ASAN_TESTS[@]}"; do
  "$FUZZ_DIR/tests/$t" --gtest_brief=1 >"$FUZZ_DIR/$t.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!ASAN_TESTS[@]}"; do
  if wait "${pids[$i]}"; then
    echo "sanitizers: ${ASAN_TESTS[$i]} passed: $(grep -h 'PASSED' "$FUZZ_DIR/${ASAN_TESTS[$i]}.log" | tr -s ' ')"
  else
    echo "sanitizers: ${ASAN_TESTS[$i]} FAILED; its log:" >&2
    tail -n 60 "$FUZZ_DIR/${ASAN_TESTS[$i]}.log" >&2
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
