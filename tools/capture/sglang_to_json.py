#!/usr/bin/env python3
"""Convert an SGLang per-token expert-distribution dump (.pt) to JSON for `moe-lab import --format sglang`.

Capture on the server (SGLang's own flags and endpoints):

    python -m sglang.launch_server --model-path <model> \
        --expert-distribution-recorder-mode per_token --disable-cuda-graph ...
    curl -X POST http://127.0.0.1:30000/start_expert_distribution_record
    # ... send your prompt(s) ...
    curl -X POST http://127.0.0.1:30000/stop_expert_distribution_record
    curl -X POST http://127.0.0.1:30000/dump_expert_distribution_record
    # -> $SGLANG_EXPERT_DISTRIBUTION_RECORDER_DIR/expert_distribution_recorder_<time>_<rank>.pt

then:

    python tools/capture/sglang_to_json.py expert_distribution_recorder_<time>_0.pt -o sglang.json
    npx moe-lab import sglang.json --format sglang -o trace.json

The .pt holds (sglang/srt/eplb/expert_distribution.py, _DetailAccumulator.dump):
  records: one dict per forward pass with forward_pass_id, rank, gatherer_key, input_ids,
           positions, extend_seq_lens, forward_mode, topk_ids_of_layer (int32 tensor
           [layers, tokens, 8] of physical expert ids, -1 where unwritten), misc_objects,
           global_physical_count
  last_physical_to_logical_map: tensor [layers, physical experts]
Tensors become nested lists; field names are kept. misc_objects and global_physical_count are
dropped (the per-token ids hold the same information).
"""
import argparse
import json

KEEP = ["forward_pass_id", "rank", "gatherer_key", "input_ids", "positions", "extend_seq_lens", "forward_mode", "topk_ids_of_layer"]


def plain(v):
    if hasattr(v, "tolist"):
        return v.tolist()
    return v


def convert(dump):
    return {
        "format": "sglang-expert-distribution/1",
        "last_physical_to_logical_map": plain(dump["last_physical_to_logical_map"]),
        "records": [{k: plain(r[k]) for k in KEEP if k in r} for r in dump["records"]],
    }


def main():
    import torch

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dump", help="expert_distribution_recorder_<time>_<rank>.pt")
    p.add_argument("-o", "--out", required=True)
    a = p.parse_args()
    dump = torch.load(a.dump, map_location="cpu", weights_only=False)
    if not isinstance(dump, dict) or "records" not in dump or "last_physical_to_logical_map" not in dump:
        raise SystemExit(f"{a.dump}: not a per_token/per_pass dump (needs 'records' and 'last_physical_to_logical_map'; stat mode dumps only counts)")
    out = convert(dump)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f)
    n = sum(len(r["input_ids"]) for r in out["records"])
    print(f"{a.out}: {len(out['records'])} forward passes, {n} tokens, {len(out['last_physical_to_logical_map'])} layers")


if __name__ == "__main__":
    main()
