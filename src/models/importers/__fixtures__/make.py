#!/usr/bin/env python3
"""Writes the importer test fixtures with the engines' own tools (numpy's np.save, torch.save +
tools/capture/sglang_to_json.py). Run from the repo root: python3 src/models/importers/__fixtures__/make.py"""
import os
import subprocess
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
# vLLM routed_experts [seq=3, layers=2, k=2]: layer 1 is dense (never captured: zeros).
routed = np.array([[[1, 3], [0, 0]], [[2, 1], [0, 0]], [[3, 0], [0, 0]]])
np.save(os.path.join(here, "routed_experts_i4.npy"), routed.astype(np.int32))
np.save(os.path.join(here, "routed_experts_i8.npy"), routed.astype(np.int64))
np.save(os.path.join(here, "token_ids.npy"), np.array([101, 102, 103, 104], dtype=np.int64))

# SGLang per_token dump: 2 layers (layer 0 dense: all -1), 4 physical slots -> 3 logical experts
# (physical 3 is a replica of logical 0), two forward passes (prefill of 2 tokens, one decode).
pad = [-1] * 6
def rec(fid, ids, topk):
    return dict(forward_pass_id=fid, rank=0, gatherer_key="primary", input_ids=ids,
                positions=list(range(len(ids))), extend_seq_lens=[len(ids)], forward_mode=1,
                topk_ids_of_layer=torch.tensor(topk, dtype=torch.int32), misc_objects=[],
                global_physical_count=torch.zeros(2, 4, dtype=torch.int32))
dump = dict(
    records=[rec(0, [11, 12], [[[-1] * 8, [-1] * 8], [[3, 1] + pad, [2, 1] + pad]]),
             rec(1, [13], [[[-1] * 8], [[3, 2] + pad]])],
    last_physical_to_logical_map=torch.tensor([[0, 1, 2, 0], [0, 1, 2, 0]]),
)
pt = os.path.join(here, "sglang_dump.pt")
torch.save(dump, pt)
subprocess.check_call([sys.executable, "tools/capture/sglang_to_json.py", pt, "-o", os.path.join(here, "sglang.json")])
os.remove(pt)
