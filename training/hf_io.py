"""Read/write Hugging Face Mixtral checkpoint folders without PyPI packages.

Folder layout written:
  config.json                       HF MixtralConfig dict (model_type "mixtral")
  model.safetensors                 single file, or
  model-0000X-of-0000N.safetensors  + model.safetensors.index.json ({"metadata": {"total_size"}, "weight_map"})
  tokenizer.json (+ tokenizer_config.json)   when a tokenizer is given

safetensors format (written here by hand): 8-byte little-endian u64 header length N, then N bytes of
JSON header {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
{"format": "pt"}} padded with spaces so the data starts 8-byte aligned, then the raw little-endian
tensor bytes (offsets relative to the start of the data section).

Tensor layouts:
  "per_expert" (transformers v4 / original Mixtral):
    model.layers.{i}.block_sparse_moe.gate.weight              [E, H]
    model.layers.{i}.block_sparse_moe.experts.{j}.w1.weight    [I, H]   (gate proj)
    model.layers.{i}.block_sparse_moe.experts.{j}.w2.weight    [H, I]   (down proj)
    model.layers.{i}.block_sparse_moe.experts.{j}.w3.weight    [I, H]   (up proj)
  "fused" (transformers v5 modeling_mixtral: MixtralSparseMoeBlock is `mlp`, its router
  `MixtralTopKRouter.weight` is `gate.weight`, MixtralExperts holds
  gate_up_proj = Parameter[E, 2*I, H] (chunk(2, dim=-1) of x @ gate_up_proj[e].T gives gate first,
  then up) and down_proj = Parameter[E, H, I]). Names/shapes confirmed against the v5 source:
    model.layers.{i}.mlp.gate.weight                           [E, H]
    model.layers.{i}.mlp.experts.gate_up_proj                  [E, 2I, H]  rows [0:I] = w1, [I:2I] = w3
    model.layers.{i}.mlp.experts.down_proj                     [E, H, I]   = w2
  Common: model.embed_tokens.weight [V, H]; model.layers.{i}.input_layernorm.weight [H];
  model.layers.{i}.self_attn.{q,k,v,o}_proj.weight; model.layers.{i}.post_attention_layernorm.weight;
  model.norm.weight [H]; lm_head.weight [V, H].
"""
from __future__ import annotations

import json
import os
import struct
from typing import Dict, List, Optional

import numpy as np
import torch

from model import MixtralConfig, MixtralForCausalLM

_NP_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


# ---------------------------------------------------------------- safetensors
def write_safetensors(path: str, tensors: Dict[str, np.ndarray], metadata: Optional[Dict[str, str]] = None):
    header: Dict[str, object] = {"__metadata__": dict(metadata or {"format": "pt"})}
    offset = 0
    arrays = []
    for name, arr in tensors.items():
        a = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
        nbytes = a.nbytes
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + nbytes]}
        arrays.append(a)
        offset += nbytes
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    pad = (8 - (8 + len(hb)) % 8) % 8
    hb += b" " * pad
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for a in arrays:
            f.write(a.astype("<f4", copy=False).tobytes())


def read_safetensors(path: str) -> Dict[str, np.ndarray]:
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dt = info["dtype"]
        if dt == "BF16":
            u16 = np.frombuffer(raw[base + b:base + e], dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(raw[base + b:base + e], dtype=np.dtype(_NP_DTYPES[dt]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"]).astype(np.float32)
    return out


# ---------------------------------------------------------------- name mapping
def to_hf_tensors(model: MixtralForCausalLM, layout: str = "per_expert") -> Dict[str, np.ndarray]:
    if layout not in ("per_expert", "fused"):
        raise ValueError(f"unknown layout {layout!r}")
    cfg = model.config
    t: Dict[str, np.ndarray] = {}

    def put(name, p):
        t[name] = p.detach().float().cpu().numpy()

    put("model.embed_tokens.weight", model.embed_tokens.weight)
    for i, L in enumerate(model.layers):
        pre = f"model.layers.{i}."
        put(pre + "input_layernorm.weight", L.input_layernorm.weight)
        for n in ("q", "k", "v", "o"):
            put(pre + f"self_attn.{n}_proj.weight", getattr(L.self_attn, f"{n}_proj").weight)
        put(pre + "post_attention_layernorm.weight", L.post_attention_layernorm.weight)
        moe = L.block_sparse_moe
        if layout == "per_expert":
            put(pre + "block_sparse_moe.gate.weight", moe.gate.weight)
            for j in range(cfg.num_local_experts):
                put(pre + f"block_sparse_moe.experts.{j}.w1.weight", moe.w1[j])
                put(pre + f"block_sparse_moe.experts.{j}.w2.weight", moe.w2[j])
                put(pre + f"block_sparse_moe.experts.{j}.w3.weight", moe.w3[j])
        else:
            put(pre + "mlp.gate.weight", moe.gate.weight)
            put(pre + "mlp.experts.gate_up_proj", torch.cat([moe.w1, moe.w3], dim=1))
            put(pre + "mlp.experts.down_proj", moe.w2)
    put("model.norm.weight", model.norm.weight)
    put("lm_head.weight", model.lm_head.weight)
    return t


@torch.no_grad()
def load_hf_tensors(model: MixtralForCausalLM, t: Dict[str, np.ndarray]):
    """Fill `model` from HF tensors in either layout. Raises on missing/extra/mis-shaped tensors."""
    cfg = model.config
    used = set()

    def get(name, shape):
        if name not in t:
            raise KeyError(f"checkpoint is missing tensor {name}")
        a = t[name]
        if list(a.shape) != list(shape):
            raise ValueError(f"tensor {name} has shape {list(a.shape)}, expected {list(shape)}")
        used.add(name)
        return torch.from_numpy(np.array(a, dtype=np.float32))

    def cp(param, name):
        param.copy_(get(name, param.shape))

    cp(model.embed_tokens.weight, "model.embed_tokens.weight")
    E, I, H = cfg.num_local_experts, cfg.intermediate_size, cfg.hidden_size
    for i, L in enumerate(model.layers):
        pre = f"model.layers.{i}."
        cp(L.input_layernorm.weight, pre + "input_layernorm.weight")
        for n in ("q", "k", "v", "o"):
            cp(getattr(L.self_attn, f"{n}_proj").weight, pre + f"self_attn.{n}_proj.weight")
        cp(L.post_attention_layernorm.weight, pre + "post_attention_layernorm.weight")
        moe = L.block_sparse_moe
        if pre + "mlp.experts.gate_up_proj" in t:
            cp(moe.gate.weight, pre + "mlp.gate.weight")
            gu = get(pre + "mlp.experts.gate_up_proj", (E, 2 * I, H))
            moe.w1.copy_(gu[:, :I])
            moe.w3.copy_(gu[:, I:])
            moe.w2.copy_(get(pre + "mlp.experts.down_proj", (E, H, I)))
        else:
            cp(moe.gate.weight, pre + "block_sparse_moe.gate.weight")
            for j in range(E):
                moe.w1[j].copy_(get(pre + f"block_sparse_moe.experts.{j}.w1.weight", (I, H)))
                moe.w2[j].copy_(get(pre + f"block_sparse_moe.experts.{j}.w2.weight", (H, I)))
                moe.w3[j].copy_(get(pre + f"block_sparse_moe.experts.{j}.w3.weight", (I, H)))
    cp(model.norm.weight, "model.norm.weight")
    cp(model.lm_head.weight, "lm_head.weight")
    extra = set(t) - used
    if extra:
        raise ValueError(f"checkpoint has unexpected tensors: {sorted(extra)[:5]}")


# ---------------------------------------------------------------- folders
def save_checkpoint(model: MixtralForCausalLM, out_dir: str, layout: str = "per_expert", shards: int = 1,
                    tokenizer_json: Optional[dict] = None, tokenizer_config: Optional[dict] = None):
    os.makedirs(out_dir, exist_ok=True)
    for fn in os.listdir(out_dir):
        if fn.startswith("model") and (fn.endswith(".safetensors") or fn.endswith(".index.json")):
            os.remove(os.path.join(out_dir, fn))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(model.config.to_hf_dict(), f, indent=2)
        f.write("\n")
    tensors = to_hf_tensors(model, layout)
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors)
    else:
        names = list(tensors)
        total = sum(a.size * 4 for a in tensors.values())
        # split by bytes into `shards` contiguous groups
        groups: List[List[str]] = [[] for _ in range(shards)]
        acc = 0
        for n in names:
            g = min(shards - 1, int(acc * shards // max(total, 1)))
            groups[g].append(n)
            acc += tensors[n].size * 4
        weight_map = {}
        for gi, g in enumerate(groups):
            fn = f"model-{gi + 1:05d}-of-{shards:05d}.safetensors"
            write_safetensors(os.path.join(out_dir, fn), {n: tensors[n] for n in g})
            for n in g:
                weight_map[n] = fn
        with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
            f.write("\n")
    if tokenizer_json is not None:
        with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_json, f, ensure_ascii=False)
    if tokenizer_config is not None:
        with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_config, f, indent=2, ensure_ascii=False)
            f.write("\n")


def read_checkpoint_tensors(ckpt_dir: str) -> Dict[str, np.ndarray]:
    idx = os.path.join(ckpt_dir, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            wm = json.load(f)["weight_map"]
        out: Dict[str, np.ndarray] = {}
        for fn in sorted(set(wm.values())):
            part = read_safetensors(os.path.join(ckpt_dir, fn))
            for n, a in part.items():
                if wm.get(n) != fn:
                    raise ValueError(f"{fn}: tensor {n} not mapped to this file in the index")
                out[n] = a
        missing = set(wm) - set(out)
        if missing:
            raise KeyError(f"index names tensors missing from shards: {sorted(missing)[:5]}")
        return out
    return read_safetensors(os.path.join(ckpt_dir, "model.safetensors"))


def load_checkpoint(ckpt_dir: str) -> MixtralForCausalLM:
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        cfg = MixtralConfig.from_dict(json.load(f))
    model = MixtralForCausalLM(cfg)
    load_hf_tensors(model, read_checkpoint_tensors(ckpt_dir))
    model.eval()
    return model
