"""RoPE scaling reference: inverse frequencies and attention factor for each rope_type, written from transformers'
modeling_rope_utils.py (v5: RotaryEmbeddingConfigMixin.standardize_rope_params, _compute_*_parameters and the
dynamic_rope_update decorator), in float32 torch as HF computes them.

  rope_params(config, head_dim, seq_len=None) -> (inv_freq [dim/2] float32, attention_factor, dim)
  rope_cos_sin(config, positions [T], head_dim) -> cos, sin [T, dim]: what a rotary embedding's forward gives for one
      call (dynamic and longrope pick their frequencies from max(positions) + 1, as dynamic_rope_update does; PhiMoE's
      rotary embedding scales by rope_scaling.short_mscale / long_mscale instead when they are set).

Run: /usr/bin/python3 training/families/rope_reference.py   (writes training/fixtures/rope/reference.json, the golden
numbers of src/models/convert/ropeScaling.test.ts)
"""
from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, Dict, Optional, Tuple

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "fixtures", "rope", "reference.json")


def standardized(config: Dict[str, Any]) -> Dict[str, Any]:
    """The single rope dict HF ends up with: rope_scaling (else rope_parameters), rope_type from `type` if needed,
    rope_theta from the top level unless the dict has one, a top-level partial_rotary_factor copied in, and for
    llama3 / yarn / longrope original_max_position_embeddings from the top level first, else the dict, else
    max_position_embeddings."""
    p = dict(config.get("rope_scaling") or config.get("rope_parameters") or {})
    p.setdefault("rope_type", p.get("type", "default"))
    if p.get("rope_theta") is None:
        p["rope_theta"] = config.get("rope_theta", 10000.0)
    if config.get("partial_rotary_factor") is not None:
        p["partial_rotary_factor"] = config["partial_rotary_factor"]
    if p["rope_type"] in ("llama3", "yarn", "longrope"):
        if "original_max_position_embeddings" in config:
            p["original_max_position_embeddings"] = config["original_max_position_embeddings"]
        else:
            p.setdefault("original_max_position_embeddings", config["max_position_embeddings"])
    return p


def _default_inv_freq(base: float, dim: int) -> torch.Tensor:
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def _mscale(scale: float, m: float = 1.0) -> float:
    return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0


def rope_params(config: Dict[str, Any], head_dim: int, seq_len: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, float, int]:
    p = standardized(config)
    kind, base = p["rope_type"], p["rope_theta"]
    dim = int(head_dim * p.get("partial_rotary_factor", 1.0))
    if kind == "default":
        return _default_inv_freq(base, dim), 1.0, dim
    if kind == "linear":
        return _default_inv_freq(base, dim) / p["factor"], 1.0, dim
    if kind == "dynamic":
        # dynamic NTK: θ grows with the sequence once it passes max_position_embeddings
        max_pos, factor = config["max_position_embeddings"], p["factor"]
        L = max_pos if seq_len is None else torch.maximum(seq_len, torch.tensor(max_pos, dtype=seq_len.dtype))
        scaled = base * ((factor * L / max_pos) - (factor - 1)) ** (dim / (dim - 2))
        return 1.0 / (scaled ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)), 1.0, dim
    if kind == "yarn":
        orig = p["original_max_position_embeddings"]
        factor = p.get("factor")
        if factor is None:
            factor = config["max_position_embeddings"] / orig
        af = p.get("attention_factor")
        if af is None:
            ms, msa = p.get("mscale"), p.get("mscale_all_dim")
            af = float(_mscale(factor, ms) / _mscale(factor, msa)) if ms and msa else _mscale(factor)
        beta_fast, beta_slow = p.get("beta_fast") or 32, p.get("beta_slow") or 1

        def correction_dim(rotations):  # channel pair that turns `rotations` times over the original context
            return (dim * math.log(orig / (rotations * 2 * math.pi))) / (2 * math.log(base))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if p.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        ramp = ((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
        keep = 1 - ramp  # 1: extrapolate (original frequency), 0: interpolate (÷ factor)
        pos_freqs = base ** (torch.arange(0, dim, 2).float() / dim)
        inv = (1.0 / (factor * pos_freqs)) * (1 - keep) + (1.0 / pos_freqs) * keep
        return inv, af, dim
    if kind == "llama3":
        inv = _default_inv_freq(base, dim)
        factor, lo, hi = p["factor"], p["low_freq_factor"], p["high_freq_factor"]
        orig = p["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        out = torch.where(wavelen > orig / lo, inv / factor, inv)
        smooth = (orig / wavelen - lo) / (hi - lo)
        medium = (wavelen >= orig / hi) & (wavelen <= orig / lo)
        out = torch.where(medium, (1 - smooth) * out / factor + smooth * out, out)
        return out, 1.0, dim
    if kind == "longrope":
        orig = p["original_max_position_embeddings"]
        factor = p.get("factor")
        if factor is None:
            factor = config["max_position_embeddings"] / orig
        af = p.get("attention_factor")
        if af is None:
            af = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(orig))
        use_long = seq_len is not None and bool(seq_len > orig)
        ext = torch.tensor(p["long_factor" if use_long else "short_factor"], dtype=torch.float32)
        inv = 1.0 / (ext * base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        return inv, af, dim
    raise ValueError(f"rope_type {kind!r}")


def rope_cos_sin(config: Dict[str, Any], positions: torch.Tensor, head_dim: int):
    seq_len = positions.max() + 1
    inv, af, _ = rope_params(config, head_dim, seq_len)
    p = standardized(config)
    if config.get("model_type") == "phimoe" and p["rope_type"] != "default":
        # modeling_phimoe.PhimoeRotaryEmbedding: short_mscale / long_mscale replace attention_scaling when set
        m = p.get("long_mscale") if seq_len > p["original_max_position_embeddings"] else p.get("short_mscale")
        af = af if m is None else m
    freqs = positions.float()[:, None] * inv[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * af, emb.sin() * af


# Realistic configs (shapes and fields of shipped checkpoints) plus the edge cases of each type.
PHI_SHORT = [1.0 + 0.01 * i for i in range(64)]
PHI_LONG = [1.0 + 0.9 * i for i in range(64)]
CASES = [
    ("default", dict(rope_theta=10000.0, max_position_embeddings=4096), 16, None),
    ("default partial 0.5", dict(rope_theta=10000.0, partial_rotary_factor=0.5, max_position_embeddings=4096), 64, None),
    ("linear", dict(rope_theta=10000.0, max_position_embeddings=4096, rope_scaling={"type": "linear", "factor": 4.0}), 128, None),
    ("dynamic short", dict(rope_theta=10000.0, max_position_embeddings=2048, rope_scaling={"rope_type": "dynamic", "factor": 2.0}), 128, 1000),
    ("dynamic long", dict(rope_theta=10000.0, max_position_embeddings=2048, rope_scaling={"rope_type": "dynamic", "factor": 2.0}), 128, 5000),
    ("yarn qwen", dict(rope_theta=1e6, max_position_embeddings=131072,
                       rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}), 128, None),
    ("yarn deepseek-v3", dict(rope_theta=10000.0, max_position_embeddings=163840,
                              rope_scaling={"type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1, "mscale": 1.0,
                                            "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096}), 64, None),
    ("yarn mscale 0.707", dict(rope_theta=10000.0, max_position_embeddings=163840,
                               rope_scaling={"type": "yarn", "factor": 40, "mscale": 1.0, "mscale_all_dim": 0.707,
                                             "original_max_position_embeddings": 4096}), 64, None),
    ("yarn gpt-oss", dict(rope_theta=150000.0, max_position_embeddings=131072,
                          rope_scaling={"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0,
                                        "truncate": False, "original_max_position_embeddings": 4096}), 64, None),
    ("yarn rope_parameters", dict(max_position_embeddings=8192,
                                  rope_parameters={"rope_type": "yarn", "rope_theta": 500000.0, "factor": 2.0,
                                                   "attention_factor": 1.25, "original_max_position_embeddings": 4096}), 32, None),
    ("llama3", dict(rope_theta=500000.0, max_position_embeddings=131072,
                    rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192}), 128, None),
    ("longrope short", dict(rope_theta=10000.0, max_position_embeddings=131072, original_max_position_embeddings=4096,
                            rope_scaling={"type": "longrope", "short_factor": PHI_SHORT, "long_factor": PHI_LONG}), 128, 100),
    ("longrope long", dict(rope_theta=10000.0, max_position_embeddings=131072, original_max_position_embeddings=4096,
                           rope_scaling={"type": "longrope", "short_factor": PHI_SHORT, "long_factor": PHI_LONG}), 128, 5000),
]


def main():
    cases = []
    for name, config, hd, seq in CASES:
        inv, af, dim = rope_params(config, hd, None if seq is None else torch.tensor(seq))
        cases.append({"name": name, "config": config, "head_dim": hd, "seq_len": seq, "dim": dim,
                      "attention_factor": float(af), "inv_freq": [float(x) for x in inv.float()]})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"format": "moe-lab-rope-reference/1", "generator": "training/families/rope_reference.py",
                   "torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases -> {os.path.relpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
