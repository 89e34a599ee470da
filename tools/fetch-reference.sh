#!/usr/bin/env bash
# Fetches the pinned llama.cpp reference used by the parity suite, from the
# npm registry, into DIR (default build/reference):
#   DIR/lib/          prebuilt libllama / libggml / CPU backends (linux-x64)
#   DIR/llama.cpp/    the matching source tree (headers, test vectors, vocab files)
# Idempotent: does nothing when DIR/.ok exists.
set -eu
dir=${1:-build/reference}
pkg_src=node-llama-cpp@3.21.1
pkg_bin=@node-llama-cpp/linux-x64@3.21.1
[ -f "$dir/.ok" ] && exit 0
if [ "$(uname -m)" != x86_64 ]; then
    echo "fetch-reference: the prebuilt reference is x86_64 Linux only" >&2
    exit 1
fi
tools/ensure-deps.sh npm
command -v git >/dev/null || { echo "fetch-reference: git is needed" >&2; exit 1; }
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
echo "fetch-reference: npm pack $pkg_src $pkg_bin" >&2
( cd "$dir.tmp" && npm pack --silent "$pkg_src" "$pkg_bin" >/dev/null )
mkdir -p "$dir.tmp/src" "$dir.tmp/bin"
tar xzf "$dir.tmp"/node-llama-cpp-3.21.1.tgz -C "$dir.tmp/src"
tar xzf "$dir.tmp"/node-llama-cpp-linux-x64-3.21.1.tgz -C "$dir.tmp/bin"
git clone -q "$dir.tmp/src/package/llama/gitRelease.bundle" "$dir.tmp/llama.cpp" 2>/dev/null
mkdir -p "$dir.tmp/lib"
cp "$dir.tmp"/bin/package/bins/linux-x64/*.so "$dir.tmp/lib/"
rm -rf "$dir.tmp/src" "$dir.tmp/bin" "$dir.tmp"/*.tgz
rm -rf "$dir"
mv "$dir.tmp" "$dir"
touch "$dir/.ok"
echo "fetch-reference: ready in $dir" >&2
