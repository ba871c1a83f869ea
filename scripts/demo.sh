#!/usr/bin/env bash
# The main job on its embedded defaults: installs what is missing, builds,
# starts scangate-server, streams the bundled sample batch through it and
# prints each verdict, then stops the server.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
install_missing
build

work="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$BUILD_DIR/tests/support/scangate-sample-batch" "$work/batch" >/dev/null

# Plaintext: a development demo on the loopback address (see README, Access).
"$BUILD_DIR/server/scangate-server" --plaintext --listen 127.0.0.1:0 --profiles "$SCANGATE_ROOT/profiles" \
  --data-dir "$work/data" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  address=$(sed -n 's/^scangate-server listening on //p' "$work/server.log")
  [ -n "$address" ] && break
  sleep 0.1
done
[ -n "$address" ] || { cat "$work/server.log"; exit 2; }
echo "server on $address; streaming the sample batch ($(ls "$work/batch" | wc -l) files)"

status=0
"$BUILD_DIR/clients/scangate" scan --plaintext --server "$address" --profile pension-claim \
  --station demo-counter --operator demo "$work/batch" || status=$?
kill -TERM "$server_pid"
wait "$server_pid" || true
echo "scangate scan exited $status (0 accepted, 1 rejected, 2 error)"
# The sample batch holds a skewed and a blurred page on purpose: rejected is
# the expected outcome of the demo.
[ "$status" -le 1 ]
