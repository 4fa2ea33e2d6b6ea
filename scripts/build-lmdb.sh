#!/usr/bin/env bash
# Builds lmdb-js's native module from its source, with the fixes in patches/ applied (by
# patch-package, which runs first). The build goes to node_modules/lmdb/build/Release, which
# lmdb-js loads in preference to its prebuilt binaries. The compiler's output is kept in a log
# and shown only when the build fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../node_modules/lmdb"
log="build-from-source.log"
echo "building lmdb-js's native module from patched source (about 30 s)"
if ! node-gyp rebuild -j max > "$log" 2>&1; then
  cat "$log" >&2
  echo "building lmdb-js's native module failed (log above, kept in node_modules/lmdb/$log)" >&2
  exit 1
fi
echo "built node_modules/lmdb/build/Release/lmdb.node"
