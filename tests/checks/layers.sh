#!/usr/bin/env bash
# The layering rule of docs/architecture.md: every `#include "..."` under
# lib/ and include/ runs from a layer to the same layer or a lower one, and
# no file includes itself through a chain of includes.  A file's layer is
# its folder under lib/ (lib/kernels/x86/ is the kernels layer); the public
# header include/l1.h is below everything.
#
# The layers, lowest first (the same order as the table in
# docs/architecture.md, which this check also compares):
LAYERS="include base gguf quant kernels tokenizer model forward sample generate api tooling"
#
# Usage: tests/checks/layers.sh [ROOT]   (ROOT: a checkout, default .)
# With no ROOT it also checks itself: a copy of the tree with one include
# added from the base layer up to the api layer must fail, naming that edge.
set -u
root=${1:-.}

rank_of() { # layer name -> index in LAYERS, or -1
    local i=0 l
    for l in $LAYERS; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo -1
}

layer_of() { # path relative to root -> layer name
    case "$1" in
    include/*) echo include ;;
    lib/*/*) local p=${1#lib/}; echo "${p%%/*}" ;;
    *) echo "?" ;;
    esac
}

check_tree() {
    local dir=$1 fails=0 edges src inc tgt ls lt rs rt
    edges=$(mktemp)
    while IFS= read -r src; do
        src=${src#"$dir"/}
        while IFS= read -r inc; do
            if [ -f "$dir/lib/$inc" ]; then tgt="lib/$inc"
            elif [ -f "$dir/include/$inc" ]; then tgt="include/$inc"
            elif [ -f "$dir/$(dirname "$src")/$inc" ]; then tgt="$(dirname "$src")/$inc"
            else
                echo "layers: $src includes \"$inc\", which is not under lib/ or include/"
                fails=$((fails + 1)); continue
            fi
            ls=$(layer_of "$src"); lt=$(layer_of "$tgt")
            rs=$(rank_of "$ls"); rt=$(rank_of "$lt")
            if [ "$rs" -lt 0 ] || [ "$rt" -lt 0 ]; then
                echo "layers: $src -> $tgt: folder '$ls' or '$lt' is not a layer ($LAYERS)"
                fails=$((fails + 1))
            elif [ "$rt" -gt "$rs" ]; then
                echo "layers: upward include: $src ($ls) -> $tgt ($lt)"
                fails=$((fails + 1))
            fi
            echo "$src $tgt" >> "$edges"
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$dir/$src")
    done < <(find "$dir/lib" "$dir/include" -name '*.[ch]' | sort)
    # tsort names the files of a loop when the include graph has one.
    local loop
    loop=$(tsort "$edges" 2>&1 >/dev/null | grep -v 'input contains a loop' | sed 's/^tsort: *//')
    if [ -n "$loop" ]; then
        echo "layers: include cycle through:" $loop
        fails=$((fails + 1))
    fi
    rm -f "$edges"
    return $((fails > 0))
}

# The table of docs/architecture.md lists the same layers in the same order.
check_doc() {
    local doc="$root/docs/architecture.md" listed
    [ -f "$doc" ] || { echo "layers: $doc is missing"; return 1; }
    listed=$(sed -n 's/^| *`\(lib\/\)\{0,1\}\([a-z]*\)\/\{0,1\}` *|.*/\2/p' "$doc" | tr '\n' ' ')
    if [ "${listed% }" != "${LAYERS#include }" ]; then
        echo "layers: docs/architecture.md lists '${listed% }', this check '${LAYERS#include }'"
        return 1
    fi
}

status=0
check_tree "$root" || status=1
check_doc || status=1

if [ $# -eq 0 ] && [ $status -eq 0 ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp -r "$root/lib" "$root/include" "$tmp/"
    printf '#include "api/ctx.c"\n' >> "$tmp/lib/base/cpu.c"
    out=$(check_tree "$tmp") && { echo "layers: the self-test's upward include was not caught"; status=1; }
    echo "$out" | grep -q 'upward include: lib/base/cpu.c (base) -> lib/api/ctx.c (api)' ||
        { echo "layers: the self-test's edge was not named: $out"; status=1; }
    cp "$root/lib/base/cpu.c" "$tmp/lib/base/cpu.c"
    printf '#include "kernels/matmul.h"\n' >> "$tmp/lib/kernels/threadpool.h"
    out=$(check_tree "$tmp") && { echo "layers: the self-test's include cycle was not caught"; status=1; }
    echo "$out" | grep -q 'include cycle' || { echo "layers: the self-test's cycle was not named: $out"; status=1; }
fi
exit $status
