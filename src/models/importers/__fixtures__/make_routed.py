#!/usr/bin/env python3
"""Writes the fixtures of the SGLang return_routed_experts, TensorRT-LLM routed_experts and Megatron hidden-state
importers in the engines' exact layouts, with the calls the engines make. Run from the repo root:
  /usr/bin/python3 src/models/importers/__fixtures__/make_routed.py

- SGLang (python/sglang/srt/layers/moe/routed_experts_capturer.py, managers/detokenizer_manager.py,
  managers/tokenizer_manager.py): the /generate response's meta_info["routed_experts"] is
  base64(int32 tensor [prompt + completion - 1, num_hidden_layers, num_experts_per_tok].numpy().tobytes());
  dense layers are never captured and stay 0.
- TensorRT-LLM (tensorrt_llm/_torch/route_capture.py, RouteCapture.assemble): CompletionOutput.routed_experts is an
  int16 tensor [seq_len - 1, num_moe_layers, top_k] (MoE layers only, in layer order); saved with np.save.
- Megatron-LM (megatron/core/transformer/moe/router_trace.py, --moe-routing-trace-path with hidden-state capture):
  hidden_states_rank{r}.bin holds each record's router input as bfloat16 [num_tokens, hidden_size]
  (hs.view(torch.int16).numpy().tobytes()), found through the record's hs_offset / hs_bytes / hs_shape.
"""
import base64
import json
import os

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))


def put(name, obj):
    with open(os.path.join(here, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


# --- SGLang: qwen3_moe-shaped config, 3 layers, layer 1 dense (mlp_only_layers), 6 experts, top-2.
# Prompt [5, 6, 7], completion [8, 9]: the capture covers 3 + 2 - 1 = 4 tokens (the last sampled token is never
# fed back through the model).
sg_config = dict(model_type="qwen3_moe", num_hidden_layers=3, num_experts=6, num_experts_per_tok=2,
                 mlp_only_layers=[1], decoder_sparse_step=1, hidden_size=16)
routed = np.zeros((4, 3, 2), dtype=np.int32)
routed[:, 0] = [[1, 4], [0, 5], [2, 1], [3, 0]]
routed[:, 2] = [[5, 2], [4, 1], [0, 3], [1, 2]]
response = {
    "text": " fox jumps",
    "output_ids": [8, 9],
    "meta_info": {
        "id": "9c2a1e",
        "finish_reason": {"type": "length", "length": 2},
        "prompt_tokens": 3,
        "completion_tokens": 2,
        "cached_tokens": 0,
        "routed_experts": base64.b64encode(torch.from_numpy(routed).numpy().tobytes()).decode("utf-8"),
    },
}
put("sglang_generate.json", response)
put("sglang_config.json", sg_config)

# --- TensorRT-LLM: deepseek_v3-shaped config, 3 layers, layer 0 dense (first_k_dense_replace), 8 experts, top-2.
# Prompt [21, 22, 23] + output [24, 25]: seq_len 5 -> 4 rows, 2 MoE layers (1 and 2).
trt_config = dict(model_type="deepseek_v3", num_hidden_layers=3, first_k_dense_replace=1, moe_layer_freq=1,
                  n_routed_experts=8, num_experts_per_tok=2, hidden_size=16)
trt = torch.tensor([[[7, 1], [2, 3]], [[0, 6], [5, 4]], [[7, 2], [1, 0]], [[3, 5], [6, 7]]], dtype=torch.int16)
np.save(os.path.join(here, "trtllm_routed_experts.npy"), trt.numpy())
put("trtllm_config.json", trt_config)
put("trtllm_token_ids.json", {"prompt_token_ids": [21, 22, 23], "token_ids": [24, 25]})

# --- Megatron: one step, layers 0 and 1, 3 tokens, top-2, hidden size 4, hidden-state capture on.
hs_records, blobs, offset = [], [], 0
tops = {0: [[0, 2], [1, 3], [2, 3]], 1: [[3, 1], [0, 1], [2, 0]]}
for layer in (0, 1):
    hs = torch.tensor([[0.5 * (layer + 1) * (t + 1) - j for j in range(4)] for t in range(3)], dtype=torch.float32)
    hs_cpu = hs.to(torch.bfloat16).contiguous()
    raw = hs_cpu.view(torch.int16).numpy().tobytes()
    blobs.append(raw)
    hs_records.append({"step": 0, "stage": "pre_dispatch", "block": "decoder", "layer": layer, "rank": 0,
                       "num_tokens": 3, "topk": 2, "top_indices": tops[layer],
                       "hs_offset": offset, "hs_bytes": len(raw), "hs_shape": list(hs_cpu.shape)})
    offset += len(raw)
with open(os.path.join(here, "router_trace_rank0.jsonl"), "w") as f:
    for r in hs_records:
        f.write(json.dumps(r) + "\n")
with open(os.path.join(here, "hidden_states_rank0.bin"), "wb") as f:
    f.write(b"".join(blobs))
