"""Plain-PyTorch reference of Hugging Face gpt-oss (model_type "gpt_oss"), written from transformers'
modeling_gpt_oss.py (eager attention, eval mode), modeling_rope_utils._compute_yarn_parameters and
integrations/mxfp4.py, with the modules named as HF names them so `state_dict()` gives the checkpoint names.

  attention  GptOssAttention: q/k/v/o Linear with bias (attention_bias), explicit head_dim, GQA; a learned sink
             logit per query head (`sinks` [H]) joins the softmax denominator and is dropped afterwards;
             layer_types[i] == "sliding_attention" adds the window kv > q − sliding_window to the causal mask.
  rope       YaRN from rope_scaling (factor, beta_fast, beta_slow, original_max_position_embeddings,
             truncate, attention_factor): inv_freq blends interpolated (/factor) and extrapolated
             frequencies with a linear ramp over [low, high] (floored/ceiled only when truncate);
             cos and sin are multiplied by attention_factor (default 0.1·ln(factor) + 1). Halves rotation.
  router     GptOssTopKRouter: logits = Linear(D, E, bias); top-k of the logits; softmax over those k.
  experts    GptOssExperts: gate_up_proj [E, D, 2I] (x @ W), gate = columns 0::2, up = columns 1::2,
             + gate_up_proj_bias [E, 2I]; gate = min(gate, limit), up = clamp(up, ±limit);
             glu = gate · σ(alpha · gate); out = ((up + 1) · glu) @ down_proj [E, I, D] + down_proj_bias [E, D];
             alpha = swiglu_alpha (1.702), limit = swiglu_limit (7.0).
  mxfp4      *_blocks [E, rows, cols/32, 16] U8 (two e2m1 codes per byte, low nibble first) and *_scales
             [E, rows, cols/32] U8 (e8m0: 2^(s − 127)) for the [E, rows, cols] = transposed parameter.

Fixtures (see make()): tiny-gpt_oss (float32 weights) and tiny-gpt_oss-mxfp4 (the same weights with the
experts quantised to MXFP4; the reference runs on the dequantised values, which float32 holds exactly).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import struct
from typing import Any, Dict, List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from hf_moe import RMSNorm, repeat_kv

ALPHA = 1.702
FP4_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0]

CONFIG: Dict[str, Any] = dict(
    architectures=["GptOssForCausalLM"], model_type="gpt_oss", vocab_size=299, hidden_size=32, num_hidden_layers=3,
    num_attention_heads=4, num_key_value_heads=2, head_dim=16, intermediate_size=32, num_local_experts=6,
    num_experts_per_tok=2, experts_per_token=2, sliding_window=4,
    layer_types=["sliding_attention", "full_attention", "sliding_attention"], attention_bias=True,
    attention_dropout=0.0, rms_norm_eps=1e-5, rope_theta=150000.0, max_position_embeddings=131072,
    initial_context_length=4096,
    rope_scaling=dict(rope_type="yarn", factor=32.0, beta_fast=32.0, beta_slow=1.0,
                      original_max_position_embeddings=4096, truncate=False),
    swiglu_limit=7.0, hidden_act="silu", tie_word_embeddings=False, router_aux_loss_coef=0.9,
    output_router_logits=False, bos_token_id=1, eos_token_id=2, pad_token_id=0, initializer_range=0.2,
    torch_dtype="float32", use_cache=True,
)


def yarn(c) -> tuple:
    """(inv_freq [hd/2] float32, attention_factor) as _compute_yarn_parameters."""
    rs = c["rope_scaling"]
    dim, base, factor = c["head_dim"], c["rope_theta"], rs["factor"]
    orig = rs.get("original_max_position_embeddings") or c["max_position_embeddings"]
    af = rs.get("attention_factor")
    if af is None:
        ms, msa = rs.get("mscale"), rs.get("mscale_all_dim")
        get = lambda s, m=1.0: 1.0 if s <= 1 else 0.1 * m * math.log(s) + 1.0  # noqa: E731
        af = get(factor, ms) / get(factor, msa) if ms and msa else get(factor)
    beta_fast, beta_slow = rs.get("beta_fast") or 32, rs.get("beta_slow") or 1
    corr = lambda rot: dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))  # noqa: E731
    low, high = corr(beta_fast), corr(beta_slow)
    if rs.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    pos_freqs = base ** (torch.arange(0, dim, 2).float() / dim)
    ramp = ((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
    extra = 1 - ramp
    inv = (1.0 / (factor * pos_freqs)) * (1 - extra) + (1.0 / pos_freqs) * extra
    return inv, float(af)


def apply_rope(x, cos, sin):
    a, b = torch.chunk(x, 2, dim=-1)
    return torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)


class GptOssAttention(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        D, self.H, self.Hkv, self.hd = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        b = c["attention_bias"]
        self.q_proj = nn.Linear(D, self.H * self.hd, bias=b)
        self.k_proj = nn.Linear(D, self.Hkv * self.hd, bias=b)
        self.v_proj = nn.Linear(D, self.Hkv * self.hd, bias=b)
        self.o_proj = nn.Linear(self.H * self.hd, D, bias=b)
        self.sinks = nn.Parameter(torch.empty(self.H))
        self.window = c["sliding_window"] if c["layer_types"][i] == "sliding_attention" else None

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.H, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.Hkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.Hkv, self.hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, v = repeat_kv(k, self.H // self.Hkv), repeat_kv(v, self.H // self.Hkv)
        qi, ki = torch.arange(T)[:, None], torch.arange(T)[None, :]
        visible = ki <= qi
        if self.window is not None:
            visible = visible & (ki > qi - self.window)
        att = torch.matmul(q, k.transpose(2, 3)) * self.hd ** -0.5
        att = att.masked_fill(~visible, float("-inf"))
        logits = torch.cat([att, self.sinks.reshape(1, -1, 1, 1).expand(B, -1, T, 1)], dim=-1)
        logits = logits - logits.max(dim=-1, keepdim=True).values
        probs = F.softmax(logits, dim=-1)[..., :-1]
        return self.o_proj(torch.matmul(probs, v).transpose(1, 2).reshape(B, T, self.H * self.hd))


class GptOssTopKRouter(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.k = c["num_experts_per_tok"]
        self.weight = nn.Parameter(torch.empty(c["num_local_experts"], c["hidden_size"]))
        self.bias = nn.Parameter(torch.empty(c["num_local_experts"]))

    def forward(self, x):
        logits = F.linear(x, self.weight, self.bias)
        top, sel = torch.topk(logits, self.k, dim=-1)
        return logits, sel, torch.softmax(top, dim=-1)


class GptOssExperts(nn.Module):
    def __init__(self, c):
        super().__init__()
        E, D, I = c["num_local_experts"], c["hidden_size"], c["intermediate_size"]
        self.gate_up_proj = nn.Parameter(torch.empty(E, D, 2 * I))
        self.gate_up_proj_bias = nn.Parameter(torch.empty(E, 2 * I))
        self.down_proj = nn.Parameter(torch.empty(E, I, D))
        self.down_proj_bias = nn.Parameter(torch.empty(E, D))
        self.alpha, self.limit = c.get("swiglu_alpha", ALPHA), c.get("swiglu_limit", 7.0)
        self.clamped = 0  # how many gate/up values the limit changed (the fixture must exercise it)

    def expert(self, j, x):
        gu = x @ self.gate_up_proj[j] + self.gate_up_proj_bias[j]
        gate, up = gu[..., ::2], gu[..., 1::2]
        self.clamped += int((gate > self.limit).sum() + (up.abs() > self.limit).sum())
        gate = gate.clamp(max=self.limit)
        up = up.clamp(-self.limit, self.limit)
        glu = gate * torch.sigmoid(gate * self.alpha)
        return ((up + 1) * glu) @ self.down_proj[j] + self.down_proj_bias[j]


class GptOssMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.router = GptOssTopKRouter(c)
        self.experts = GptOssExperts(c)

    def forward(self, x):
        B, T, D = x.shape
        flat = x.reshape(-1, D)
        logits, sel, w = self.router(flat)
        out = torch.zeros_like(flat)
        for j in range(logits.shape[-1]):
            tok, slot = torch.where(sel == j)
            if tok.numel():
                out.index_add_(0, tok, self.experts.expert(j, flat[tok]) * w[tok, slot, None])
        return out.view(B, T, D), logits.view(B, T, -1), sel.view(B, T, -1), w.view(B, T, -1)


class GptOssDecoderLayer(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = GptOssAttention(c, i)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = GptOssMLP(c)

    def forward(self, h, cos, sin):
        mid = h + self.self_attn(self.input_layernorm(h), cos, sin)
        y, logits, sel, w = self.mlp(self.post_attention_layernorm(mid))
        return mid + y, logits, sel, w


class GptOssModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([GptOssDecoderLayer(c, i) for i in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class GptOssForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = GptOssModel(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)

    @torch.no_grad()
    def init_weights(self, std, g):
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):  # norm weights near 1 so the test sees them
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("gate_up_proj"):  # wide enough that swiglu_limit clamps some values
                p.normal_(0.0, 0.8, generator=g)
            elif name.endswith("sinks"):
                p.normal_(0.0, 1.0, generator=g)
            else:
                p.normal_(0.0, std, generator=g)

    def forward(self, ids) -> Dict[str, Any]:
        T = ids.shape[1]
        inv, af = yarn(self.config)
        freqs = torch.arange(T).float()[:, None] * inv[None, :]
        cos, sin = freqs.cos() * af, freqs.sin() * af
        h = self.model.embed_tokens(ids)
        out: Dict[str, List[Any]] = {"router_logits": [], "selected": [], "gates": [], "hidden_out": []}
        for layer in self.model.layers:
            h, rl, sel, w = layer(h, cos, sin)
            for key, v in (("router_logits", rl), ("selected", sel), ("gates", w), ("hidden_out", h)):
                out[key].append(v)
        out["logits"] = self.lm_head(self.model.norm(h))
        return out


# ---------------------------------------------------------------- MXFP4
def mxfp4_quantise(w: torch.Tensor):
    """[E, rows, cols] → (blocks [E, rows, cols/32, 16] u8, scales [E, rows, cols/32] u8, dequantised).
    Scale 2^e with the smallest e that brings the block's max |x| within 6; codes round to the nearest e2m1."""
    E, R, C = w.shape
    x = w.reshape(E, R, C // 32, 32).double()
    amax = x.abs().amax(-1).clamp(min=2.0 ** -126)
    e = torch.ceil(torch.log2(amax / 6.0)).clamp(-127, 127)
    lut = torch.tensor(FP4_VALUES, dtype=torch.float64)
    q = x / torch.pow(2.0, e)[..., None]
    codes = (q[..., None] - lut).abs().argmin(-1)  # first hit wins: +0 (code 0) over -0 (code 8)
    deq = (lut[codes] * torch.pow(2.0, e)[..., None]).float().reshape(E, R, C)
    c = codes.to(torch.uint8)
    blocks = (c[..., 0::2] | (c[..., 1::2] << 4)).to(torch.uint8)
    return blocks, (e + 127).to(torch.uint8), deq


def mxfp4_dequantise(blocks, scales):
    """integrations/mxfp4.convert_moe_packed_tensors without the final transpose: [E, rows, cols]."""
    lut = torch.tensor(FP4_VALUES)
    lo, hi = lut[(blocks & 0x0F).long()], lut[(blocks >> 4).long()]
    vals = torch.stack([lo, hi], -1).reshape(*blocks.shape[:-1], 32)
    vals = torch.ldexp(vals, scales.to(torch.int32)[..., None] - 127)
    return vals.reshape(*vals.shape[:-2], -1)


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor]):
    """F32 and U8 tensors (hf_io's writer is float32 only)."""
    header: Dict[str, Any] = {"__metadata__": {"format": "pt"}}
    chunks, offset = [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().numpy())
        dt = {np.dtype(np.float32): "F32", np.dtype(np.uint8): "U8"}[a.dtype]
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        chunks.append(a.tobytes())
        offset += a.nbytes
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - (8 + len(hb)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + b"".join(chunks))


# ---------------------------------------------------------------- fixtures
def f32list(t):
    return t.detach().float().tolist()


def margin(model, out) -> float:
    """≥ 1 when every top-k choice and order has a gap (1e-3 at the k-th place, 1e-4 within the top-k)."""
    k, worst = model.config["num_experts_per_tok"], float("inf")
    for rl in out["router_logits"]:
        s, _ = rl[0].sort(-1, descending=True)
        worst = min(worst, ((s[:, k - 1] - s[:, k]).min() / 1e-3).item())
        for j in range(k - 1):
            worst = min(worst, ((s[:, j] - s[:, j + 1]).min() / 1e-4).item())
    return worst


@torch.no_grad()
def case(model, name, text, ids):
    out = model(torch.tensor([ids]))
    lp = torch.log_softmax(out["logits"][0], -1)
    return {
        "name": name,
        "text": text,
        "input_ids": ids,
        "router_logits": [f32list(v[0]) for v in out["router_logits"]],
        "selected": [v[0].tolist() for v in out["selected"]],
        "gates": [f32list(v[0]) for v in out["gates"]],
        "hidden_out": [f32list(v[0]) for v in out["hidden_out"]],
        "logits": f32list(out["logits"][0]),
        "loss": [float(-lp[t, ids[t + 1]]) for t in range(len(ids) - 1)],
    }


def quantised_copy(model):
    """The model with its experts replaced by their MXFP4 round trip, and the checkpoint's expert tensors."""
    q = GptOssForCausalLM(model.config)
    q.load_state_dict(model.state_dict())
    tensors = {}
    for i, layer in enumerate(q.model.layers):
        ex, p = layer.mlp.experts, f"model.layers.{i}.mlp.experts"
        for proj in ("gate_up_proj", "down_proj"):
            param = getattr(ex, proj)
            blocks, scales, deq = mxfp4_quantise(param.detach().transpose(1, 2).contiguous())
            assert torch.equal(mxfp4_dequantise(blocks, scales), deq)
            with torch.no_grad():
                param.copy_(deq.transpose(1, 2))
            tensors[f"{p}.{proj}_blocks"], tensors[f"{p}.{proj}_scales"] = blocks, scales
    return q, tensors


def make(training: str, cases):
    """Write tiny-gpt_oss and tiny-gpt_oss-mxfp4; `cases` = [(name, text, ids)] (tiny-mixtral's inputs)."""
    cfg = dict(CONFIG)
    for attempt in range(300):
        seed = 4321 + attempt
        model = GptOssForCausalLM(cfg)
        model.init_weights(cfg["initializer_range"], torch.Generator().manual_seed(seed))
        model.eval()
        quant, qtensors = quantised_copy(model)
        with torch.no_grad():
            if min(margin(m, m(torch.tensor([ids]))) for m in (model, quant) for _, _, ids in cases) >= 1.0:
                break
    else:
        raise SystemExit("gpt_oss: no seed gave well-separated routing")
    mixtral = os.path.join(training, "fixtures", "tiny-mixtral", "hf")
    for suffix, m in (("", model), ("-mxfp4", quant)):
        sd = {k: v for k, v in m.state_dict().items()}
        qcfg = dict(cfg)
        if suffix:
            for k in list(sd):
                if k.endswith("experts.gate_up_proj") or k.endswith("experts.down_proj"):
                    del sd[k]
            sd.update(qtensors)
            qcfg["quantization_config"] = {"quant_method": "mxfp4",
                                           "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
                                                                      "model.embed_tokens", "lm_head"]}
        out_dir = os.path.join(training, "fixtures", f"tiny-gpt_oss{suffix}")
        hf = os.path.join(out_dir, "hf")
        os.makedirs(hf, exist_ok=True)
        write_safetensors(os.path.join(hf, "model.safetensors"), sd)
        with open(os.path.join(hf, "config.json"), "w") as f:
            json.dump(qcfg, f, indent=2)
            f.write("\n")
        for n in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(mixtral, n), os.path.join(hf, n))
        for layer in m.model.layers:
            layer.mlp.experts.clamped = 0
        ref_cases = [case(m, n, t, ids) for n, t, ids in cases]
        clamped = sum(layer.mlp.experts.clamped for layer in m.model.layers)
        assert clamped > 0, "swiglu_limit never clamped: widen gate_up_proj"
        ref = {
            "format": "moe-lab-reference/1",
            "model": f"tiny-gpt_oss{suffix}",
            "generator": "training/families/make_fixtures.py gpt_oss (forward: training/families/gpt_oss.py)",
            "seed": seed,
            "dtype": "float32",
            "layer_kinds": ["moe"] * cfg["num_hidden_layers"],
            "clamped_values": clamped,
            "notes": [
                "Layer-indexed arrays are [L][T][...]. router_logits = router Linear (with bias) on moe_in; selected = "
                "top-k of the logits, best first; gates = softmax over those k logits; hidden_out = residual after the layer.",
                "Layers 0 and 2 use sliding-window attention (window 4, shorter than the 12-token case); every head has "
                "a learned sink logit; RoPE is YaRN (factor 32, truncate false).",
                "clamped_values counts gate/up values the swiglu_limit changed over both cases.",
                "mxfp4: the experts are stored as *_blocks/*_scales and the reference runs on their dequantised values."
                if suffix else "float32 expert tensors gate_up_proj [E, D, 2I] (gate/up interleaved) and down_proj [E, I, D].",
            ],
            "cases": ref_cases,
        }
        with open(os.path.join(out_dir, "reference.json"), "w") as f:
            json.dump(ref, f)
            f.write("\n")
        total = sum(os.path.getsize(os.path.join(r, n)) for r, _, fs in os.walk(out_dir) for n in fs)
        print(f"gpt_oss{suffix}: seed {seed} (attempt {attempt}), {len(sd)} tensors, {clamped} clamped values, "
              f"fixture {total / 1e6:.3f} MB")
