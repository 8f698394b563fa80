#!/usr/bin/env bash
# Refactor check: run the CLI over the shipped model and every converter fixture and write
# what it printed plus the sha256 of every bundle file it wrote into OUT. Run it before and
# after a change and `diff -r` the two folders: a behaviour-preserving change leaves none.
# (Timings — "ms" fields and bench — are stripped: they are the only output that may differ.)
set -uo pipefail
OUT=${1:?usage: tools/same-output.sh OUT_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
LAB="node tools/moe-lab.mjs"
M=public/models/babel-moe
T=${TMPDIR:-/tmp}/moe-same-output; rm -rf "$T"; mkdir -p "$T"
strip() { sed -E 's/"(ms|engineMs|elapsedMs|seconds|wallMs|msPerToken|loadMs)":[0-9.e+-]+/"\1":0/g'; }
run() { local name=$1; shift; $LAB "$@" 2>"$OUT/$name.err" | strip >"$OUT/$name.out"; echo "rc=$?" >>"$OUT/$name.out"; }
run trace-native trace --model $M --text "The cat sat on the mat. Der Hund schläft." --loss --top 5
run trace-iv trace --model $M --text "Hello world, bonjour le monde" --router topk:k=1 --intervene mask:layers=1,experts=2 --loss
run trace-tiny trace --model public/models/tiny-mixtral --text "hello there" --loss
$LAB trace --model $M --text "Ein kleiner Test für die Analyse." > "$T/a.json" 2>/dev/null
$LAB trace --model $M --text "Ein kleiner Test für die Analyse." --intervene mask:layers=0-5,experts=1 > "$T/b.json" 2>/dev/null
run analyze analyze "$T/a.json"
run stability analyze --stability "$T/a.json" "$T/b.json"
run align align --model $M --articles 2 --langs en,de,ja
run attribute attribute --model $M --a "The house is red." --b "Das Haus ist rot." --top 3
run coupling coupling --model $M --layers 0,3 --perturb --seed 1
run import-sglang import src/models/importers/__fixtures__/sglang.json --format sglang
run bad-cmd nosuch
for fam in tiny-mixtral tiny-olmoe tiny-qwen3_moe tiny-qwen2_moe tiny-granitemoe tiny-phimoe; do
  for dt in fp32 q4; do
    rm -rf "$T/b-$fam-$dt"
    run "convert-$fam-$dt" convert training/fixtures/$fam/hf "$T/b-$fam-$dt" --dtype $dt --id $fam
    (cd "$T/b-$fam-$dt" 2>/dev/null && find . -type f | sort | xargs sha256sum) >"$OUT/bundle-$fam-$dt.sha256"
  done
done
rm -rf "$T"
