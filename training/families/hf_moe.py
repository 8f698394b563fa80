"""Plain-PyTorch references of five Hugging Face MoE families, written from transformers' modeling files
(eager attention path, eval mode) with the modules named as HF names them, so `state_dict()` gives the
exact checkpoint tensor names.

  qwen3_moe  modeling_qwen3_moe:  Qwen3MoeAttention (q_norm/k_norm = RMSNorm(head_dim) on each head before
             RoPE, explicit head_dim), Qwen3MoeSparseMoeBlock (softmax -> top-k -> renormalise iff
             norm_topk_prob; experts.{j}.gate_proj/up_proj/down_proj with moe_intermediate_size),
             Qwen3MoeDecoderLayer (sparse iff layer ∉ mlp_only_layers and (layer+1) % decoder_sparse_step == 0,
             else Qwen3MoeMLP with intermediate_size).
  olmoe      modeling_olmoe:  OlmoeAttention (q_norm = RMSNorm(hidden) over the whole q projection, k_norm =
             RMSNorm(hd·Hkv); then clamp q, k, v to ±clip_qkv when set; then RoPE), sparse block as Qwen
             (norm_topk_prob default False).
  granitemoe modeling_granitemoe:  embeddings × embedding_multiplier; attention scaling = attention_multiplier;
             h = residual + out · residual_multiplier after attention and after the MoE;
             GraniteMoeTopKGating: logits = router.layer(x); top-k of the logits; softmax over those k;
             GraniteMoeParallelExperts input_linear [E, 2I, D] (chunk(2, -1): act(first half) · second half),
             output_linear [E, D, I]; logits = lm_head(norm(h)) / logits_scaling; tied embeddings.
  qwen2_moe  modeling_qwen2_moe:  q/k/v biases (o without); sparse block = Qwen routing + shared_expert
             (Qwen2MoeMLP with shared_expert_intermediate_size) · sigmoid(shared_expert_gate(x)); dense layers
             as Qwen3.
  phimoe     modeling_phimoe:  nn.LayerNorm (weight + bias, eps = rms_norm_eps) for input/post-attention/final
             norms; q/k/v/o biases with attention_bias; lm_head bias with lm_head_bias; experts w1/w2/w3;
             routing = sparsemixer(scores, jitter_eps=router_jitter_noise, training=False) (top-2).

Common: RoPE with rotate_half (inv_freq = 1/θ^(arange(0,hd,2)/hd), emb = cat(freqs, freqs)), GQA via repeat_kv,
RMSNorm in float32 (x · rsqrt(mean(x²) + eps) · weight), softmax of the attention scores in float32.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from rope_reference import rope_cos_sin


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.variance_epsilon = eps

    def forward(self, x):
        dt = x.dtype
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.variance_epsilon)
        return self.weight * h.to(dt)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope(positions, hd, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = positions.float()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def repeat_kv(x, n):
    b, h, s, d = x.shape
    return x if n == 1 else x[:, :, None].expand(b, h, n, s, d).reshape(b, h * n, s, d)


class Attention(nn.Module):
    def __init__(self, c: Dict[str, Any], fam: str):
        super().__init__()
        self.fam = fam
        D, H = c["hidden_size"], c["num_attention_heads"]
        self.H, self.Hkv = H, c["num_key_value_heads"]
        self.hd = c.get("head_dim") or D // H
        qkv_bias = {"qwen2_moe": True, "phimoe": c.get("attention_bias", False)}.get(fam, c.get("attention_bias", False))
        o_bias = fam == "phimoe" and c.get("attention_bias", False)
        self.q_proj = nn.Linear(D, self.H * self.hd, bias=qkv_bias)
        self.k_proj = nn.Linear(D, self.Hkv * self.hd, bias=qkv_bias)
        self.v_proj = nn.Linear(D, self.Hkv * self.hd, bias=qkv_bias)
        self.o_proj = nn.Linear(self.H * self.hd, D, bias=o_bias)
        eps = c["rms_norm_eps"]
        if fam == "qwen3_moe":
            self.q_norm = RMSNorm(self.hd, eps)
            self.k_norm = RMSNorm(self.hd, eps)
        elif fam == "olmoe":
            self.q_norm = RMSNorm(D, eps)
            self.k_norm = RMSNorm(self.hd * self.Hkv, eps)
        self.clip = c.get("clip_qkv") if fam == "olmoe" else None
        self.scaling = c["attention_multiplier"] if fam == "granitemoe" else self.hd ** -0.5

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        if self.fam == "olmoe":
            q, k = self.q_norm(q), self.k_norm(k)
            if self.clip is not None:
                q, k, v = (t.clamp(-self.clip, self.clip) for t in (q, k, v))
        q = q.view(B, T, self.H, self.hd)
        k = k.view(B, T, self.Hkv, self.hd)
        if self.fam == "qwen3_moe":
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = v.view(B, T, self.Hkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, self.H // self.Hkv), repeat_kv(v, self.H // self.Hkv)
        att = torch.matmul(q, k.transpose(2, 3)) * self.scaling + mask
        att = F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
        o = torch.matmul(att, v).transpose(1, 2).reshape(B, T, self.H * self.hd)
        return self.o_proj(o)


class MLP(nn.Module):
    """Qwen/OLMoE SwiGLU: down_proj(silu(gate_proj x) · up_proj x)."""

    def __init__(self, D, I):
        super().__init__()
        self.gate_proj = nn.Linear(D, I, bias=False)
        self.up_proj = nn.Linear(D, I, bias=False)
        self.down_proj = nn.Linear(I, D, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class W123(nn.Module):
    """Mixtral/PhiMoE expert: w2(silu(w1 x) · w3 x)."""

    def __init__(self, D, I):
        super().__init__()
        self.w1 = nn.Linear(D, I, bias=False)
        self.w2 = nn.Linear(I, D, bias=False)
        self.w3 = nn.Linear(D, I, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def sparsemixer_eval(scores, jitter_eps):
    """modeling_phimoe.sparsemixer with training=False (top-2)."""
    thr, max_ind = scores.max(dim=-1, keepdim=True)
    factor = scores.abs().clamp(min=thr)
    masked = scores.masked_fill(((thr - scores) / factor) > (2 * jitter_eps), float("-inf"))
    sel1 = max_ind
    mult1 = torch.softmax(masked, dim=-1).gather(-1, sel1)
    masked_scores = torch.scatter(scores, -1, sel1, float("-inf"))
    thr2, max_ind2 = masked_scores.max(dim=-1, keepdim=True)
    factor2 = scores.abs().clamp(min=thr2)
    masked2 = masked_scores.masked_fill(((thr2 - scores) / factor2) > (2 * jitter_eps), float("-inf"))
    sel2 = max_ind2
    mult2 = torch.softmax(masked2, dim=-1).gather(-1, sel2)
    return torch.cat((mult1, mult2), -1), torch.cat((sel1, sel2), -1)


class SparseMoe(nn.Module):
    """Router + experts of every family; forward returns (out, router_logits, selected, gates)."""

    def __init__(self, c: Dict[str, Any], fam: str):
        super().__init__()
        self.fam = fam
        D = c["hidden_size"]
        self.E = c.get("num_experts") or c.get("num_local_experts")
        self.k = c["num_experts_per_tok"]
        I = c.get("moe_intermediate_size") or c["intermediate_size"]
        self.I = I
        if fam == "granitemoe":
            self.router = nn.Module()
            self.router.layer = nn.Linear(D, self.E, bias=False)
            self.input_linear = nn.Module()
            self.input_linear.weight = nn.Parameter(torch.empty(self.E, 2 * I, D))
            self.output_linear = nn.Module()
            self.output_linear.weight = nn.Parameter(torch.empty(self.E, D, I))
        else:
            self.gate = nn.Linear(D, self.E, bias=False)
            cls = W123 if fam == "phimoe" else MLP
            self.experts = nn.ModuleList([cls(D, I) for _ in range(self.E)])
        if fam == "qwen2_moe":
            self.shared_expert = MLP(D, c["shared_expert_intermediate_size"])
            self.shared_expert_gate = nn.Linear(D, 1, bias=False)
        self.norm_topk_prob = c.get("norm_topk_prob", False)
        self.jitter = c.get("router_jitter_noise", 0.01)

    def expert(self, j, x):
        if self.fam == "granitemoe":
            h = F.linear(x, self.input_linear.weight[j])
            a, b = h.chunk(2, dim=-1)
            return F.linear(F.silu(a) * b, self.output_linear.weight[j])
        return self.experts[j](x)

    def route(self, logits):
        if self.fam == "granitemoe":
            top_logits, sel = logits.float().topk(self.k, dim=-1)
            return torch.softmax(top_logits, dim=-1), sel
        if self.fam == "phimoe":
            return sparsemixer_eval(logits, self.jitter)
        p = F.softmax(logits, dim=-1, dtype=torch.float)
        w, sel = torch.topk(p, self.k, dim=-1)
        if self.norm_topk_prob:
            w = w / w.sum(dim=-1, keepdim=True)
        return w, sel

    def forward(self, x):
        B, T, D = x.shape
        flat = x.reshape(-1, D)
        logits = self.router.layer(flat) if self.fam == "granitemoe" else self.gate(flat)
        w, sel = self.route(logits)
        out = torch.zeros_like(flat)
        for j in range(self.E):
            tok, slot = torch.where(sel == j)
            if tok.numel():
                out.index_add_(0, tok, self.expert(j, flat[tok]) * w[tok, slot, None])
        if self.fam == "qwen2_moe":
            out = out + torch.sigmoid(self.shared_expert_gate(flat)) * self.shared_expert(flat)
        return out.view(B, T, D), logits.view(B, T, self.E), sel.view(B, T, -1), w.view(B, T, -1)


def is_sparse(c, fam, i):
    if fam in ("qwen3_moe", "qwen2_moe"):
        return i not in c.get("mlp_only_layers", []) and c["num_experts"] > 0 and (i + 1) % c.get("decoder_sparse_step", 1) == 0
    return True


class Layer(nn.Module):
    def __init__(self, c, fam, i):
        super().__init__()
        self.fam = fam
        D, eps = c["hidden_size"], c["rms_norm_eps"]
        Norm = (lambda: nn.LayerNorm(D, eps=eps, elementwise_affine=True)) if fam == "phimoe" else (lambda: RMSNorm(D, eps))
        self.input_layernorm = Norm()
        self.post_attention_layernorm = Norm()
        self.self_attn = Attention(c, fam)
        self.sparse = is_sparse(c, fam, i)
        block = SparseMoe(c, fam) if self.sparse else MLP(D, c["intermediate_size"])
        # HF attribute names: Qwen / OLMoE `mlp`, Granite / PhiMoE `block_sparse_moe`
        setattr(self, "block_sparse_moe" if fam in ("granitemoe", "phimoe") else "mlp", block)
        self.ffn = block
        self.rm = c.get("residual_multiplier", 1.0) if fam == "granitemoe" else 1.0

    def forward(self, h, cos, sin, mask):
        mid = h + self.self_attn(self.input_layernorm(h), cos, sin, mask) * self.rm
        moe_in = self.post_attention_layernorm(mid)
        if self.sparse:
            y, logits, sel, w = self.ffn(moe_in)
        else:
            y, logits, sel, w = self.ffn(moe_in), None, None, None
        return mid + y * self.rm, mid, moe_in, logits, sel, w


class Model(nn.Module):
    def __init__(self, c, fam):
        super().__init__()
        D = c["hidden_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], D)
        self.layers = nn.ModuleList([Layer(c, fam, i) for i in range(c["num_hidden_layers"])])
        self.norm = nn.LayerNorm(D, eps=c["rms_norm_eps"]) if fam == "phimoe" else RMSNorm(D, c["rms_norm_eps"])


class CausalLM(nn.Module):
    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        self.config = c
        self.fam = fam = c["model_type"]
        self.model = Model(c, fam)
        self.tied = c.get("tie_word_embeddings", False)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=fam == "phimoe" and c.get("lm_head_bias", False))
        self.hd = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]

    def hf_state_dict(self) -> Dict[str, torch.Tensor]:
        """The checkpoint's tensors under HF names (tied checkpoints leave lm_head.weight out)."""
        sd = {k: v for k, v in self.state_dict().items() if ".ffn." not in k}
        if self.tied:
            sd.pop("lm_head.weight")
        return sd

    @torch.no_grad()
    def init_weights(self, std, g):
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                p.normal_(0.0, std, generator=g)
            elif p.dim() == 1:  # norm weights near 1 so the test sees them
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.normal_(0.0, std, generator=g)
        if self.tied:
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, ids: torch.Tensor) -> Dict[str, Any]:
        c = self.config
        T = ids.shape[1]
        # rope_scaling / rope_parameters as modeling_rope_utils reads them (plain RoPE: the same numbers as rope())
        cos, sin = rope_cos_sin(c, torch.arange(T), self.hd)
        mask = torch.full((T, T), float("-inf")).triu(1)
        h = self.model.embed_tokens(ids)
        if self.fam == "granitemoe":
            h = h * c["embedding_multiplier"]
        out: Dict[str, List[Any]] = {"router_logits": [], "selected": [], "gates": [], "hidden_mid": [], "moe_in": [], "hidden_out": []}
        for layer in self.model.layers:
            h, mid, moe_in, rl, sel, w = layer(h, cos, sin, mask)
            for key, v in (("router_logits", rl), ("selected", sel), ("gates", w), ("hidden_mid", mid), ("moe_in", moe_in), ("hidden_out", h)):
                out[key].append(v)
        logits = self.lm_head(self.model.norm(h))
        if self.fam == "granitemoe":
            logits = logits / c["logits_scaling"]
        out["logits"] = logits
        return out
