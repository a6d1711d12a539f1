#!/usr/bin/env bash
# Builds the native addon with AddressSanitizer (+ UndefinedBehaviorSanitizer) into build/asan,
# leaving build/Release alone, then runs the native tests against that build with libasan
# preloaded into every node process. Fails on any sanitizer report, even one from a child
# process or a crashed test worker. Linux + GCC (libasan). Usage: npm run test:asan [-- vitest args]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/build/asan"
reports="$work/reports"
cxx="${CXX:-g++}"

libasan="$("$cxx" -print-file-name=libasan.so)"
if [[ "$libasan" != /* || ! -e "$libasan" ]]; then
  echo "asan: cannot find libasan.so for $cxx (install the compiler's sanitizer runtime)" >&2
  exit 2
fi

# A private copy of the sources, so node-gyp writes its build tree here and not over build/Release.
rm -rf "$work"
mkdir -p "$work/src" "$reports"
cp "$root/binding.gyp" "$work/src/"
cp -R "$root/native" "$work/src/native"
ln -s "$root/node_modules" "$work/src/node_modules" # binding.gyp resolves node-addon-api from here

# Use the running node's own headers when it ships them (as npm run would, via npm_config_nodedir)
# rather than letting node-gyp download them.
nodedir="${npm_config_nodedir:-}"
prefix="$(dirname "$(dirname "$(command -v node)")")"
if [[ -z "$nodedir" && -e "$prefix/include/node/node_api.h" ]]; then nodedir="$prefix"; fi

sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
echo "asan: building the addon with $sanitize"
(
  cd "$work/src"
  CFLAGS="$sanitize" CXXFLAGS="$sanitize" LDFLAGS="-fsanitize=address,undefined" \
    "$root/node_modules/.bin/node-gyp" rebuild --release ${nodedir:+--nodedir="$nodedir"} >"$work/build.log" 2>&1
) || {
  cat "$work/build.log" >&2
  echo "asan: build failed" >&2
  exit 2
}
addon="$work/src/build/Release/kvtier_native.node"
if ! nm -D "$addon" | grep "__asan_init" >/dev/null; then
  echo "asan: $addon is not instrumented (did the compiler ignore CFLAGS?)" >&2
  exit 2
fi

# Node leaks on purpose at exit, so leak detection stays off; node also expects a refused huge
# allocation to return null (new ArrayBuffer(2 ** 53 - 1) must throw, not abort). Reports go to
# files, so one from a worker or child whose output vitest swallows is still seen below.
export LD_PRELOAD="$libasan${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1:abort_on_error=1:log_path=$reports/asan:log_exe_name=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
export KVTIER_NATIVE_PATH="$addon"

# Loading an instrumented addon without the runtime first in the library list fails outright,
# so this proves the preload works before the long run.
node -e "require(process.env.KVTIER_NATIVE_PATH).noop()"

status=0
(cd "$root" && "$root/node_modules/.bin/vitest" run test/native "$@") || status=$?

# Errors, not warnings: with allocator_may_return_null, ASAN also logs a warning for each
# refused allocation, which the tests provoke on purpose.
failed=0
for report in "$reports"/*; do
  [[ -e "$report" ]] || continue
  if grep -E "ERROR: |SUMMARY: |runtime error: " "$report" >/dev/null; then
    echo "----- sanitizer report $report" >&2
    cat "$report" >&2
    failed=1
  else
    echo "asan: note: $(sort -u "$report" | sed -E 's/^==[^=]+==[0-9]+==//' | paste -sd ';' -)"
  fi
done
if [[ $failed -ne 0 ]]; then
  echo "asan: FAILED: sanitizer errors reported (above)" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "asan: tests failed (exit $status) without a sanitizer report" >&2
  exit "$status"
fi
echo "asan: native tests passed under AddressSanitizer + UBSan with no sanitizer errors"
