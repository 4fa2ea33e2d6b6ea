#!/usr/bin/env bash
# Builds lmdb-js's native module from its source, with the fixes in patches/ applied (by
# patch-package, which runs first). The build goes to node_modules/lmdb/build/Release, which
# lmdb-js loads in preference to its prebuilt binaries. The compiler's output is kept in a log.
#
# Without a compiler (Python 3, make and a C compiler are needed), the install still succeeds:
# lmdb-js then runs its prebuilt binary, which can abort the process when a write fails on a full
# disk (docs/state-backend-choice.md), and the disk backend's native-build test fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../node_modules/lmdb"
log="build-from-source.log"
# npm's own node-gyp, with npm's settings (where Node.js's headers are, for one).
gyp="${npm_config_node_gyp:?run it through npm: npm run postinstall}"
echo "building lmdb-js's native module from patched source (about 15 s on 2 cores)"
if ! node "$gyp" rebuild -j max > "$log" 2>&1; then
  tail -n 20 "$log" >&2
  rm -rf build
  echo "WARNING: building lmdb-js's native module failed (log: node_modules/lmdb/$log);" \
    "the disk state backend runs lmdb-js's prebuilt binary, which can abort on a full disk" >&2
  exit 0
fi
echo "built node_modules/lmdb/build/Release/lmdb.node"
