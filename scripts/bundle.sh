#!/usr/bin/env bash
# bundle.sh — gort-bench for a machine with no toolchain: no Go, no cmake,
# no hwloc/libpfm/libbenchmark packages, no checkout, no network; x86-64,
# glibc at least the one this machine has (the manifest records the newest
# GLIBC_ symbol version the bundle needs).
#
#   scripts/bundle.sh [--build-dir DIR] OUT_DIR      (or ./gort-bench bundle OUT_DIR)
#
# Builds the release preset if needed (--build-dir: an existing or new
# Release build directory instead), compiles every Go twin of the registry
# with `gort-bench build-go-twins` (the runner's own go test -c and Go
# environment), and writes OUT_DIR:
#
#   run              the entry point: LD_LIBRARY_PATH=lib/, then bin/gort-bench
#                    with --registry/--bench-dir/--go-twins/--bundle-manifest
#                    filled in for `run` and `list` (and --out OUT_DIR/results
#                    unless given); other subcommands pass through
#   bin/gort-bench   the CLI                  benches/   every gort_bench_* binary
#   go-twins/        <go_dir with / as _>.test and go-version.txt
#   benchmarks.json  the registry             manifest.json  commit, dirty, build, Go, date
#   lib/             every shared library the binaries and the dlopen()ed C
#                    allocators (tcmalloc, jemalloc, mimalloc) need, except
#                    glibc's own (libc, libm, libpthread, libdl, librt, the loader)
#
# Everything is found relative to OUT_DIR/run, so OUT_DIR may be moved or
# copied anywhere. Binaries are stripped. Reports are rendered from a
# checkout: `./gort-bench report RUN_DIR` (they need matplotlib).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "bundle.sh: $*" >&2; exit 2; }

build=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) [[ $# -ge 2 ]] || die "--build-dir needs a directory"; build="$2"; shift 2 ;;
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ $# -eq 1 ]] || die "usage: scripts/bundle.sh [--build-dir DIR] OUT_DIR"
out="$1"
[[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]] && die "$out exists and is not empty"

# ---- build ----
if [[ -z "$build" ]]; then
  build="$root/build/release"
  [[ -f "$build/build.ninja" ]] || (cd "$root" && cmake --preset release >&2)
else
  build="$(mkdir -p "$build" && cd "$build" && pwd)"
  [[ -f "$build/build.ninja" ]] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
fi
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")"
[[ "$build_type" == "Release" ]] || die "$build is a '$build_type' build; a bundle is for timings (Release)"
# The CLI and every benchmark binary (not the tests, not the fake benchmark).
mapfile -t benches < <(ninja -C "$build" -t targets all | sed -n 's/^\(gort_bench_[a-z0-9_]*\): phony$/\1/p' |
                       grep -v '^gort_bench_fake$')
cmake --build "$build" --target gort-bench "${benches[@]}" >&2

mkdir -p "$out"/{bin,benches,lib}
out="$(cd "$out" && pwd)"
echo "bundle.sh: compiling the Go twins" >&2
"$build/harness/gort-bench" build-go-twins "$out/go-twins" --registry "$root/harness/benchmarks.json" >&2

# ---- binaries and the registry ----
install -m 755 "$build/harness/gort-bench" "$out/bin/"
for b in "${benches[@]}"; do
  if [[ -x "$build/benches/$b" ]]; then install -m 755 "$build/benches/$b" "$out/benches/"; fi
done
install -m 644 "$root/harness/benchmarks.json" "$out/benchmarks.json"
strip --strip-unneeded "$out"/bin/* "$out"/benches/*
strip "$out"/go-twins/*.test  # Go keeps its own symbol table (pclntab) for tracebacks

# ---- shared libraries ----
glibc_family='^(libc|libm|libpthread|libdl|librt)\.so|^ld-linux|^linux-vdso'
# The C allocators mem_bench dlopen()s by soname (benches/mem_bench.cc).
mapfile -t allocs < <(for s in libtcmalloc_minimal.so.4 libjemalloc.so.2 libmimalloc.so.2; do
                        ldconfig -p | awk -v s="$s" '$1 == s && /x86-64/ {print $NF; exit}'
                      done)
needs="$(for f in "$out"/bin/* "$out"/benches/* "${allocs[@]}"; do
           [[ "$f" == "$out"/* ]] || echo "$f"    # the allocators themselves
           ldd "$f"
         done)"
if grep -q 'not found' <<<"$needs"; then
  die "unresolved libraries here: $(grep 'not found' <<<"$needs" | sort -u | tr -s ' \t\n' ' ')"
fi
awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && NF == 1 {print $1}' <<<"$needs" | sort -u | while read -r lib; do
  name="$(basename "$lib")"
  [[ "$name" =~ $glibc_family ]] && continue
  cp -L "$lib" "$out/lib/$name"
  chmod 644 "$out/lib/$name"
done
strip --strip-unneeded "$out"/lib/*

# ---- manifest ----
git_commit="$(git -C "$root" rev-parse HEAD 2>/dev/null || true)"
git_dirty=false
[[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -1)" ]] && git_dirty=true
# The newest glibc symbol version any binary or library needs: the oldest
# glibc the bundle runs on.
glibc_needed="$(objdump -T "$out"/bin/* "$out"/benches/* "$out"/lib/* 2>/dev/null |
                grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -1)"
/usr/bin/python3 - "$out" "$build" "$git_commit" "$git_dirty" "$glibc_needed" <<'EOF'
import datetime, json, os, platform, re, sys
out, build, commit, dirty, glibc = sys.argv[1:]
cache = {}
for line in open(os.path.join(build, "CMakeCache.txt")):
    m = re.match(r"^([A-Za-z_]+):[A-Z]+=(.*)$", line.rstrip("\n"))
    if m:
        cache[m.group(1)] = m.group(2)
bt = cache.get("CMAKE_BUILD_TYPE", "")
manifest = {
    "kind": "gort-bench bundle",
    "commit": commit or None,
    "dirty": dirty == "true",
    "built_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "built_on": platform.node(),
    "build_type": bt,
    "cxx_compiler": cache.get("CMAKE_CXX_COMPILER", ""),
    "cxx_flags": (cache.get("CMAKE_CXX_FLAGS", "") + " " + cache.get("CMAKE_CXX_FLAGS_" + bt.upper(), "")).strip(),
    "go_version": open(os.path.join(out, "go-twins", "go-version.txt")).read().strip(),
    "glibc_needed": glibc,
    "lib": sorted(os.listdir(os.path.join(out, "lib"))),
}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
EOF

# ---- the entry point ----
cat > "$out/run" <<'EOF'
#!/bin/sh
# run — gort-bench from this bundle (scripts/bundle.sh; manifest.json says
# what it was built from). Needs no Go, no build, no checkout:
#   ./run run [--suite quick|full] [--filter RE] [--reps N] [--out DIR] ...
#   ./run list | topology | compare RUN_A RUN_B
# Results go to <this directory>/results unless --out is given. Render the
# report from a checkout: ./gort-bench report RUN_DIR.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P)
LD_LIBRARY_PATH="$here/lib"
export LD_LIBRARY_PATH
cli="$here/bin/gort-bench"
case "${1:-}" in
  run)
    shift
    out_given=""
    for a in "$@"; do
      case "$a" in --out|--out=*) out_given=1 ;; esac
    done
    [ -n "$out_given" ] || set -- --out "$here/results" "$@"
    exec "$cli" run --registry "$here/benchmarks.json" --bench-dir "$here/benches" \
      --go-twins "$here/go-twins" --bundle-manifest "$here/manifest.json" "$@"
    ;;
  list)
    shift
    exec "$cli" list --registry "$here/benchmarks.json" --bench-dir "$here/benches" --go-twins "$here/go-twins" "$@"
    ;;
  *)
    exec "$cli" "$@"
    ;;
esac
EOF
chmod 755 "$out/run"

echo "bundle.sh: $(du -sh "$out" | cut -f1) in $out ($(ls "$out/benches" | wc -l) benchmark binaries," \
     "$(ls "$out"/go-twins/*.test | wc -l) Go twins, $(ls "$out/lib" | wc -l) libraries)" >&2
echo "$out"
