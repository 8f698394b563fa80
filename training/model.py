"""Mixtral-style decoder in plain PyTorch with Hugging Face `MixtralForCausalLM` semantics.

Semantics (checked against transformers' modeling_mixtral):
  * token embedding (no scaling)
  * per layer
      - input RMSNorm, computed in float32: x * rsqrt(mean(x^2) + eps) * weight
      - attention: q/k/v/o projections without bias, GQA (num_key_value_heads),
        head_dim = hidden / heads, RoPE with rotate_half
        (inv_freq = 1 / theta^(arange(0, hd, 2) / hd); emb = cat(freqs, freqs);
        q * cos + rotate_half(q) * sin with rotate_half(x) = cat(-x2, x1)),
        causal softmax attention (softmax in float32) scaled by 1/sqrt(hd), residual
      - post_attention_layernorm (RMSNorm)
      - sparse MoE block: router `gate` (Linear hidden -> E, no bias) gives router logits;
        p = softmax(logits, float32); top-k of p; renormalise (divide by their sum);
        output = sum_k gate_k * expert_k(x) with expert(x) = w2(silu(w1 x) * w3 x); residual
  * final RMSNorm, lm_head (untied)
  * HF load-balancing auxiliary loss (`load_balancing_loss_func`):
      concat router logits of all layers -> softmax -> top-k one-hot mask [N, k, E]
      f = mean over tokens of the mask  [k, E];  P = mean over tokens of the softmax [E]
      aux = E * sum(f * P)   (equals k for perfectly uniform routing)
    total loss = CE + router_aux_loss_coef * aux.

Expert weights are held stacked (w1 [E, I, H], w2 [E, H, I], w3 [E, I, H]); training/hf_io.py
maps them to/from the HF per-expert (`block_sparse_moe.experts.{j}.w1`) and fused
(`mlp.experts.gate_up_proj` / `down_proj`) checkpoint layouts.

Run with Debian's python3-torch: /usr/bin/python3, torch.set_num_threads(1), OPENBLAS_NUM_THREADS=2.
"""
from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field, asdict
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class MixtralConfig:
    vocab_size: int = 32000
    hidden_size: int = 4096
    intermediate_size: int = 14336
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int = 8
    max_position_embeddings: int = 4096
    rms_norm_eps: float = 1e-5
    rope_theta: float = 1e6
    num_local_experts: int = 8
    num_experts_per_tok: int = 2
    router_aux_loss_coef: float = 0.02
    tie_word_embeddings: bool = False
    bos_token_id: int = 1
    eos_token_id: int = 2
    pad_token_id: Optional[int] = None
    initializer_range: float = 0.02
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "MixtralConfig":
        mt = d.get("model_type", "mixtral")
        if mt != "mixtral":
            raise ValueError(f"config.json: model_type {mt!r} is not 'mixtral'")
        if d.get("tie_word_embeddings", False):
            raise ValueError("config.json: tie_word_embeddings=true is not supported (Mixtral is untied)")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        kw = {k: v for k, v in d.items() if k in known}
        extra = {k: v for k, v in d.items() if k not in known}
        hd = d.get("head_dim")
        if hd is not None and hd != d["hidden_size"] // d["num_attention_heads"]:
            raise ValueError("config.json: head_dim != hidden_size / num_attention_heads is not supported")
        return cls(**kw, extra=extra)

    def to_hf_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        extra = d.pop("extra")
        out = {
            "architectures": ["MixtralForCausalLM"],
            "model_type": "mixtral",
            "hidden_act": "silu",
            "attention_dropout": 0.0,
            "sliding_window": None,
            "router_jitter_noise": 0.0,
            "output_router_logits": False,
            "use_cache": True,
            "torch_dtype": "float32",
        }
        out.update(d)
        out["head_dim"] = self.head_dim
        out.update(extra)
        return out


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dt = x.dtype
        h = x.to(torch.float32)
        var = h.pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(var + self.eps)
        return self.weight * h.to(dt)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float):
    """positions: [T] (int). Returns cos, sin of shape [T, head_dim] in float32 (as HF)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = positions.float()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


class Attention(nn.Module):
    def __init__(self, cfg: MixtralConfig):
        super().__init__()
        self.nh = cfg.num_attention_heads
        self.nkv = cfg.num_key_value_heads
        self.hd = cfg.head_dim
        H = cfg.hidden_size
        self.q_proj = nn.Linear(H, self.nh * self.hd, bias=False)
        self.k_proj = nn.Linear(H, self.nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(H, self.nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hd, H, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        cos = cos.to(x.dtype)[None, None]
        sin = sin.to(x.dtype)[None, None]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        # (q k^T) / sqrt(hd) + causal mask, fused into one baddbmm (HF: matmul, * scaling, + mask)
        qf = q.reshape(B * self.nh, T, self.hd)
        kf = k.reshape(B * self.nh, T, self.hd)
        att = torch.baddbmm(mask.expand(B * self.nh, T, T), qf, kf.transpose(1, 2), alpha=1.0 / math.sqrt(self.hd))
        att = F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
        o = torch.bmm(att, v.reshape(B * self.nh, T, self.hd)).view(B, self.nh, T, self.hd)
        o = o.transpose(1, 2).reshape(B, T, self.nh * self.hd)
        return self.o_proj(o)


class SparseMoE(nn.Module):
    """Router `gate` + E SwiGLU experts held as stacked tensors."""

    def __init__(self, cfg: MixtralConfig):
        super().__init__()
        H, I, E = cfg.hidden_size, cfg.intermediate_size, cfg.num_local_experts
        self.E, self.k = E, cfg.num_experts_per_tok
        self.gate = nn.Linear(H, E, bias=False)
        self.w1 = nn.Parameter(torch.empty(E, I, H))
        self.w2 = nn.Parameter(torch.empty(E, H, I))
        self.w3 = nn.Parameter(torch.empty(E, I, H))

    def expert(self, j: int, x: torch.Tensor) -> torch.Tensor:
        return F.linear(F.silu(F.linear(x, self.w1[j])) * F.linear(x, self.w3[j]), self.w2[j])

    def route(self, router_logits: torch.Tensor):
        probs = F.softmax(router_logits, dim=-1, dtype=torch.float32)
        top_w, top_i = torch.topk(probs, self.k, dim=-1)
        top_w = top_w / top_w.sum(dim=-1, keepdim=True)
        return probs, top_w, top_i

    def forward(self, x: torch.Tensor):
        B, T, H = x.shape
        flat = x.reshape(-1, H)
        logits = self.gate(flat)  # [N, E]
        _, top_w, top_i = self.route(logits)
        top_w = top_w.to(x.dtype)
        out = torch.zeros_like(flat)
        for j in range(self.E):
            tok, slot = torch.where(top_i == j)
            if tok.numel() == 0:
                continue
            y = self.expert(j, flat[tok]) * top_w[tok, slot, None]
            out.index_add_(0, tok, y)
        return out.view(B, T, H), logits.view(B, T, self.E), top_i.view(B, T, self.k), top_w.view(B, T, self.k)


class DecoderLayer(nn.Module):
    def __init__(self, cfg: MixtralConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.block_sparse_moe = SparseMoE(cfg)

    def forward(self, h, cos, sin, mask):
        h_mid = h + self.self_attn(self.input_layernorm(h), cos, sin, mask)
        moe_in = self.post_attention_layernorm(h_mid)
        moe_out, logits, sel, gates = self.block_sparse_moe(moe_in)
        return h_mid + moe_out, h_mid, moe_in, logits, sel, gates


class _SoftmaxCE(torch.autograd.Function):
    """Mean cross-entropy over rows whose label != -100, via softmax (this CPU build's softmax kernel is
    ~10x faster than its log_softmax). Same value as F.cross_entropy up to float32 rounding."""

    @staticmethod
    def forward(ctx, logits, labels):
        p = torch.softmax(logits, dim=-1)
        valid = labels != -100
        idx = torch.where(valid, labels, torch.zeros_like(labels))
        pt = p.gather(1, idx[:, None])[:, 0]
        n = valid.sum().clamp(min=1)
        loss = -(torch.log(pt.clamp(min=1e-30)) * valid).sum() / n
        ctx.save_for_backward(p, idx, valid, n)
        return loss

    @staticmethod
    def backward(ctx, g):
        p, idx, valid, n = ctx.saved_tensors
        grad = p
        grad[torch.arange(p.shape[0]), idx] -= 1.0
        grad *= (g / n) * valid[:, None].to(p.dtype)
        return grad, None


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return _SoftmaxCE.apply(logits.float(), labels)


def load_balancing_loss(router_logits: List[torch.Tensor], num_experts: int, top_k: int) -> torch.Tensor:
    """HF `load_balancing_loss_func` without attention mask. router_logits: per layer [..., E]."""
    cat = torch.cat([r.reshape(-1, num_experts) for r in router_logits], dim=0)
    probs = F.softmax(cat, dim=-1, dtype=torch.float32)
    _, sel = torch.topk(probs, top_k, dim=-1)
    mask = F.one_hot(sel, num_experts).float()  # [N, k, E]
    tokens_per_expert = mask.mean(dim=0)  # [k, E]
    prob_per_expert = probs.mean(dim=0)  # [E]
    return (tokens_per_expert * prob_per_expert[None, :]).sum() * num_experts


class MixtralForCausalLM(nn.Module):
    def __init__(self, cfg: MixtralConfig):
        super().__init__()
        self.config = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.init_weights(cfg.initializer_range)

    @torch.no_grad()
    def init_weights(self, std: float, generator: Optional[torch.Generator] = None):
        """HF-style init: every matrix ~ N(0, std); norm weights = 1."""
        for name, p in self.named_parameters():
            if p.dim() == 1:
                p.fill_(1.0)
            else:
                p.normal_(0.0, std, generator=generator)

    def num_params(self) -> Dict[str, int]:
        cfg = self.config
        total = sum(p.numel() for p in self.parameters())
        per_expert = 3 * cfg.hidden_size * cfg.intermediate_size
        inactive = (cfg.num_local_experts - cfg.num_experts_per_tok) * per_expert * cfg.num_hidden_layers
        emb = self.embed_tokens.weight.numel()
        return {"total": total, "active": total - inactive, "active_no_embed": total - inactive - emb,
                "embedding": emb}

    def forward(self, input_ids: torch.Tensor, positions: Optional[torch.Tensor] = None,
                labels: Optional[torch.Tensor] = None, collect: bool = False,
                aux_coef: Optional[float] = None, aux_per_layer: bool = False) -> Dict[str, Any]:
        """input_ids [B, T] (or [T]). Returns dict with
        logits [B,T,V], router_logits (list per layer of [B,T,E]), selected / gates (lists [B,T,k]),
        and, when labels are given, loss (CE + coef*aux), ce, aux.
        aux is HF's load_balancing_loss_func over all layers' router logits concatenated (default), or with
        aux_per_layer=True the mean over layers of the same formula applied to each layer separately: the HF
        form only balances each expert index summed over layers, so single layers can collapse (observed in
        our first run: dead experts in 4 of 6 layers while the HF aux stayed at ~2.006).
        With collect=True also hidden_embed [B,T,H] and per layer hidden_mid / moe_in / hidden_out."""
        if input_ids.dim() == 1:
            input_ids = input_ids[None]
        B, T = input_ids.shape
        cfg = self.config
        if positions is None:
            positions = torch.arange(T)
        cos, sin = rope_cos_sin(positions, cfg.head_dim, cfg.rope_theta)
        mask = torch.full((T, T), float("-inf")).triu(1)
        h = self.embed_tokens(input_ids)
        out: Dict[str, Any] = {"router_logits": [], "selected": [], "gates": []}
        if collect:
            out.update(hidden_embed=h, hidden_mid=[], moe_in=[], hidden_out=[])
        for layer in self.layers:
            h, h_mid, moe_in, rl, sel, g = layer(h, cos, sin, mask)
            out["router_logits"].append(rl)
            out["selected"].append(sel)
            out["gates"].append(g)
            if collect:
                out["hidden_mid"].append(h_mid)
                out["moe_in"].append(moe_in)
                out["hidden_out"].append(h)
        logits = self.lm_head(self.norm(h))
        out["logits"] = logits
        if labels is not None:
            ce = cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
            if aux_per_layer:
                aux = torch.stack([load_balancing_loss([rl], cfg.num_local_experts, cfg.num_experts_per_tok)
                                   for rl in out["router_logits"]]).mean()
            else:
                aux = load_balancing_loss(out["router_logits"], cfg.num_local_experts, cfg.num_experts_per_tok)
            coef = cfg.router_aux_loss_coef if aux_coef is None else aux_coef
            out.update(ce=ce, aux=aux, loss=ce + coef * aux)
        return out


def setup_torch(threads: int = 1):
    """Fast settings measured on the 2-core build machine (set OPENBLAS_NUM_THREADS=2 in env)."""
    torch.set_num_threads(threads)


# --- DeepSeek-V3 (the second shipped model, deepseek-moe) ---------------------------------------------------------
# The decoder is the parity reference in families/deepseek_v3.py (HF module names, so its state_dict is the
# checkpoint); this adds what training needs: a fresh-model init, the loss, the expert-count helpers and the
# auxiliary-loss-free bias update of DeepSeek-V3 (Wang et al. 2024, "Auxiliary-Loss-Free Load Balancing").
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "families"))
from deepseek_v3 import DeepseekCausalLM  # noqa: E402


def deepseek_v3_config(vocab_size: int, hidden: int = 192, layers: int = 6, heads: int = 6, dense_inter: int = 384,
                       moe_inter: int = 80, experts: int = 32, topk: int = 4, shared: int = 1, ctx: int = 256,
                       kv_lora_rank: int = 48, qk_nope: int = 16, qk_rope: int = 16, v_head: int = 32) -> Dict[str, Any]:
    """HF `DeepseekV3Config` fields of deepseek-moe: layer 0 dense, then routed + shared experts, sigmoid router
    with e_score_correction_bias, no group limit (n_group 1: one device has nothing to limit), gates renormalised."""
    return {
        "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "vocab_size": vocab_size,
        "hidden_size": hidden, "intermediate_size": dense_inter, "moe_intermediate_size": moe_inter,
        "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": heads,
        "n_shared_experts": shared, "n_routed_experts": experts, "num_experts_per_tok": topk,
        "routed_scaling_factor": 1.0, "norm_topk_prob": True, "n_group": 1, "topk_group": 1,
        "topk_method": "noaux_tc", "scoring_func": "sigmoid", "first_k_dense_replace": 1, "moe_layer_freq": 1,
        "kv_lora_rank": kv_lora_rank, "q_lora_rank": None, "qk_nope_head_dim": qk_nope, "qk_rope_head_dim": qk_rope,
        "v_head_dim": v_head, "head_dim": qk_rope, "rope_interleave": True, "rope_theta": 10000.0,
        "rope_scaling": None, "max_position_embeddings": ctx, "rms_norm_eps": 1e-5, "hidden_act": "silu",
        "attention_bias": False, "attention_dropout": 0.0, "tie_word_embeddings": False, "bos_token_id": 1,
        "eos_token_id": 2, "pad_token_id": None, "initializer_range": 0.02, "torch_dtype": "float32",
        "use_cache": True,
    }


@torch.no_grad()
def deepseek_init(model: "DeepseekCausalLM", std: float, generator: torch.Generator) -> None:
    """HF init (matrices ~ N(0, std), norms 1, bias 0) with residual-branch outputs shrunk by 1/sqrt(2L),
    as babel-moe's trainer does."""
    L = model.config["num_hidden_layers"]
    for name, p in model.named_parameters():
        if p.dim() == 1:
            p.fill_(1.0)
        else:
            p.normal_(0.0, std, generator=generator)
            if name.endswith("o_proj.weight") or name.endswith("down_proj.weight"):
                p.mul_(1 / math.sqrt(2 * L))
    for layer in model.model.layers:
        if layer.sparse:
            layer.mlp.gate.e_score_correction_bias.zero_()


def deepseek_loss(model: "DeepseekCausalLM", ids: torch.Tensor, labels: torch.Tensor) -> Dict[str, Any]:
    out = model(ids)
    logits = out["logits"]
    out["ce"] = cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
    out["loss"] = out["ce"]
    return out


def expert_counts(selected: List[Optional[torch.Tensor]], num_experts: int) -> torch.Tensor:
    """[MoE layers, E] selection counts from a forward's per-layer `selected` (None for dense layers)."""
    return torch.stack([torch.bincount(s.reshape(-1), minlength=num_experts) for s in selected if s is not None]).float()


@torch.no_grad()
def loss_free_update(model: "DeepseekCausalLM", selected: List[Optional[torch.Tensor]], rate: float) -> torch.Tensor:
    """b_i += u · sign(mean load − load_i) per MoE layer, from this batch's selections (DeepSeek-V3 §2.1.2).
    Returns the batch's counts [MoE layers, E]."""
    counts = expert_counts(selected, model.config["n_routed_experts"])
    gates = [layer.mlp.gate for layer in model.model.layers if layer.sparse]
    for gate, c in zip(gates, counts):
        gate.e_score_correction_bias.add_(rate * torch.sign(c.mean() - c))
    return counts


def deepseek_num_params(model: "DeepseekCausalLM") -> Dict[str, int]:
    c = model.config
    total = sum(p.numel() for p in model.parameters())
    per_expert = 3 * c["hidden_size"] * c["moe_intermediate_size"]
    sparse = sum(1 for layer in model.model.layers if layer.sparse)
    inactive = (c["n_routed_experts"] - c["num_experts_per_tok"]) * per_expert * sparse
    emb = model.model.embed_tokens.weight.numel()
    return {"total": total, "active": total - inactive, "active_no_embed": total - inactive - emb, "embedding": emb}
