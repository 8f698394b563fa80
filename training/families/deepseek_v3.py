"""Plain-PyTorch reference of DeepSeek-V3 (and DeepSeek-V2-style MLA checkpoints), written from transformers'
modeling_deepseek_v3 / modeling_deepseek_v2 (eager attention, eval mode) with the modules named as HF names them,
so `state_dict()` gives the exact checkpoint tensor names.

  attention  DeepseekV3Attention, multi-head latent attention:
             q = q_b_proj(q_a_layernorm(q_a_proj x)) (or q_proj x when q_lora_rank is null), per head split into
             [qk_nope_head_dim | qk_rope_head_dim]; kv_a_proj_with_mqa x = [c (kv_lora_rank) | k_rot (qk_rope_head_dim,
             one head shared by all)]; kv_b_proj(kv_a_layernorm c) per head = [k_nope | v (v_head_dim)].
             The low-rank norms are RMSNorm with eps 1e-6 (HF builds them without rms_norm_eps).
             RoPE on the rope parts only; with rope_interleave (default True, and always for deepseek_v2, whose
             complex-number rope is the same rotation) the rope dims are first de-interleaved
             (x0 x2 x4 … x1 x3 …) and then rotated with rotate_half. cos/sin carry the rope's attention factor.
             Scores × 1/sqrt(qk_nope + qk_rope) · mscale², mscale = 0.1·mscale_all_dim·ln(factor) + 1 when
             rope_scaling has mscale_all_dim (DeepSeek's own code does this for V2 too; transformers' V2 port
             omits it; this reference follows DeepSeek).
  rope       default, or YaRN (modeling_rope_utils._compute_yarn_parameters) over qk_rope_head_dim: inv_freq blends
             θ^(-2i/d) and θ^(-2i/d)/factor with the ramp between the correction dims of beta_fast / beta_slow at
             original_max_position_embeddings; attention factor = attention_factor, else
             get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim) when both are set, else get_mscale(factor).
  moe        layer i sparse iff i >= first_k_dense_replace and i % moe_layer_freq == 0, else MLP(intermediate_size).
             DeepseekV3TopkRouter (gate.weight [E, D], buffer gate.e_score_correction_bias [E]):
             s = sigmoid(logits); choice = s + bias; group score = sum of the two best choices of each of n_group
             groups; keep the topk_group best groups, other experts' choice set to 0; top-k of choice; gates = s of the
             chosen, / (sum + 1e-20) when norm_topk_prob, × routed_scaling_factor.
             deepseek_v2 topk_method "greedy": softmax → top-k (→ renormalise iff norm_topk_prob) × routed_scaling_factor.
             Output = Σ gates · experts.{j}(x) + shared_experts(x) (n_shared_experts · moe_intermediate_size wide).

The routing margin of a forward (`out["margin"]`, ≥ 1 means float32 noise cannot flip a decision) covers the group
choice, the k-th vs (k+1)-th expert and the order within the top-k.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List

import torch
import torch.nn as nn
import torch.nn.functional as F

from hf_moe import MLP, RMSNorm, rotate_half


def yarn_get_mscale(scale: float, mscale: float = 1.0) -> float:
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def rope_parameters(c: Dict[str, Any]):
    """inv_freq [qk_rope_head_dim / 2] and the factor cos/sin are multiplied by."""
    dim, base = c["qk_rope_head_dim"], c.get("rope_theta", 10000.0)
    plain = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rs = c.get("rope_scaling")
    if rs is None:
        return plain, 1.0
    kind = rs.get("rope_type", rs.get("type"))
    if kind != "yarn":
        raise ValueError(f"rope_scaling type {kind!r}: this reference implements YaRN only")
    orig = rs.get("original_max_position_embeddings") or c["max_position_embeddings"]
    factor = rs.get("factor") or c["max_position_embeddings"] / orig
    mscale, mscale_all = rs.get("mscale"), rs.get("mscale_all_dim")
    att = rs.get("attention_factor")
    if att is None:
        att = yarn_get_mscale(factor, mscale) / yarn_get_mscale(factor, mscale_all) if mscale and mscale_all else yarn_get_mscale(factor)
    beta_fast, beta_slow = rs.get("beta_fast") or 32, rs.get("beta_slow") or 1

    def correction_dim(rot):
        return (dim * math.log(orig / (rot * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if rs.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
    pos = base ** (torch.arange(0, dim, 2).float() / dim)
    extrap = 1 - ramp
    inv = (1.0 / (factor * pos)) * (1 - extrap) + (1.0 / pos) * extrap
    return inv, float(att)


def softmax_scale(c: Dict[str, Any]) -> float:
    s = (c["qk_nope_head_dim"] + c["qk_rope_head_dim"]) ** -0.5
    rs = c.get("rope_scaling")
    if rs is not None and rs.get("mscale_all_dim"):
        m = yarn_get_mscale(rs["factor"], rs["mscale_all_dim"])
        s = s * m * m
    return s


def deinterleave(x):
    """x0 x1 x2 x3 … → x0 x2 … x1 x3 … on the last axis (HF apply_rotary_pos_emb_interleave)."""
    *lead, d = x.shape
    return x.view(*lead, d // 2, 2).transpose(-1, -2).reshape(*lead, d)


class Attention(nn.Module):
    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        D, H = c["hidden_size"], c["num_attention_heads"]
        self.H = H
        self.dn, self.dr, self.dv = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
        self.r = c["kv_lora_rank"]
        self.q_lora = c.get("q_lora_rank")
        bias = c.get("attention_bias", False)
        dq = self.dn + self.dr
        if self.q_lora is None:
            self.q_proj = nn.Linear(D, H * dq, bias=False)
        else:
            self.q_a_proj = nn.Linear(D, self.q_lora, bias=bias)
            self.q_a_layernorm = RMSNorm(self.q_lora, 1e-6)
            self.q_b_proj = nn.Linear(self.q_lora, H * dq, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(D, self.r + self.dr, bias=bias)
        self.kv_a_layernorm = RMSNorm(self.r, 1e-6)
        self.kv_b_proj = nn.Linear(self.r, H * (self.dn + self.dv), bias=False)
        self.o_proj = nn.Linear(H * self.dv, D, bias=bias)
        self.interleave = c["model_type"] == "deepseek_v2" or c.get("rope_interleave", True)
        self.scaling = softmax_scale(c)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_proj(x) if self.q_lora is None else self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        q = q.view(B, T, self.H, self.dn + self.dr).transpose(1, 2)
        q_pass, q_rot = torch.split(q, [self.dn, self.dr], dim=-1)
        ckv = self.kv_a_proj_with_mqa(x)
        c_kv, k_rot = torch.split(ckv, [self.r, self.dr], dim=-1)
        kv = self.kv_b_proj(self.kv_a_layernorm(c_kv)).view(B, T, self.H, self.dn + self.dv).transpose(1, 2)
        k_pass, v = torch.split(kv, [self.dn, self.dv], dim=-1)
        k_rot = k_rot.view(B, 1, T, self.dr)
        if self.interleave:
            q_rot, k_rot = deinterleave(q_rot), deinterleave(k_rot)
        q_rot = q_rot * cos + rotate_half(q_rot) * sin
        k_rot = k_rot * cos + rotate_half(k_rot) * sin
        k_rot = k_rot.expand(B, self.H, T, self.dr)
        q = torch.cat((q_pass, q_rot), dim=-1)
        k = torch.cat((k_pass, k_rot), dim=-1)
        att = torch.matmul(q, k.transpose(2, 3)) * self.scaling + mask
        att = F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
        o = torch.matmul(att, v).transpose(1, 2).reshape(B, T, self.H * self.dv)
        return self.o_proj(o)


class Gate(nn.Module):
    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        E = c["n_routed_experts"]
        self.weight = nn.Parameter(torch.empty(E, c["hidden_size"]))
        if c["model_type"] == "deepseek_v3":
            self.register_buffer("e_score_correction_bias", torch.zeros(E))


def sort_margin(s, k: int) -> float:
    """Margin of a top-k over rows sorted descending: the k-th vs (k+1)-th gap in units of 1e-3, the gaps inside
    the top-k (the order selections are listed in) in units of 1e-4."""
    gaps = [((s[:, k - 1] - s[:, k]).min() / 1e-3).item()]
    gaps += [((s[:, j] - s[:, j + 1]).min() / 1e-4).item() for j in range(k - 1)]
    return min(gaps)


class MoE(nn.Module):
    """Router + routed experts + shared experts; forward returns (out, router_logits, selected, gates, margin)."""

    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        D, I = c["hidden_size"], c["moe_intermediate_size"]
        self.c = c
        self.E, self.k = c["n_routed_experts"], c["num_experts_per_tok"]
        self.gate = Gate(c)
        self.experts = nn.ModuleList([MLP(D, I) for _ in range(self.E)])
        if c.get("n_shared_experts"):
            self.shared_experts = MLP(D, I * c["n_shared_experts"])

    def route(self, logits):
        c, k = self.c, self.k
        if c["model_type"] == "deepseek_v2":  # topk_method "greedy"
            scores = logits.softmax(dim=-1, dtype=torch.float32)
            w, sel = torch.topk(scores, k, dim=-1, sorted=True)
            s, _ = scores.sort(-1, descending=True)
            margin = sort_margin(s, k)
            if c.get("norm_topk_prob") and k > 1:
                w = w / (w.sum(dim=-1, keepdim=True) + 1e-20)
            return w * c["routed_scaling_factor"], sel, margin
        G, kg = c["n_group"], c["topk_group"]
        scores = logits.sigmoid()
        choice = scores + self.gate.e_score_correction_bias
        group = choice.view(-1, G, self.E // G).topk(2, dim=-1)[0].sum(dim=-1)
        gs, gidx = group.sort(-1, descending=True)
        keep = torch.zeros_like(group).scatter_(1, gidx[:, :kg], 1)
        mask = keep.unsqueeze(-1).expand(-1, G, self.E // G).reshape(-1, self.E)
        masked = choice.masked_fill(~mask.bool(), 0.0)
        ms, sel = masked.sort(-1, descending=True)
        sel = sel[:, :k]
        margin = ((gs[:, kg - 1] - gs[:, kg]).min() / 1e-3).item() if kg < G else float("inf")
        margin = min(margin, sort_margin(ms, k))
        w = scores.gather(1, sel)
        if c["norm_topk_prob"]:
            w = w / (w.sum(dim=-1, keepdim=True) + 1e-20)
        return w * c["routed_scaling_factor"], sel, margin

    def forward(self, x):
        B, T, D = x.shape
        flat = x.reshape(-1, D)
        logits = F.linear(flat.float(), self.gate.weight.float())
        w, sel, margin = self.route(logits)
        out = torch.zeros_like(flat)
        for j in range(self.E):
            tok, slot = torch.where(sel == j)
            if tok.numel():
                out.index_add_(0, tok, self.experts[j](flat[tok]) * w[tok, slot, None])
        if hasattr(self, "shared_experts"):
            out = out + self.shared_experts(flat)
        return out.view(B, T, D), logits.view(B, T, self.E), sel.view(B, T, -1), w.view(B, T, -1), margin


def is_sparse(c: Dict[str, Any], i: int) -> bool:
    return c.get("n_routed_experts") is not None and i >= c.get("first_k_dense_replace", 0) and i % c.get("moe_layer_freq", 1) == 0


class Layer(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        D, eps = c["hidden_size"], c["rms_norm_eps"]
        self.input_layernorm = RMSNorm(D, eps)
        self.post_attention_layernorm = RMSNorm(D, eps)
        self.self_attn = Attention(c)
        self.sparse = is_sparse(c, i)
        self.mlp = MoE(c) if self.sparse else MLP(D, c["intermediate_size"])

    def forward(self, h, cos, sin, mask):
        mid = h + self.self_attn(self.input_layernorm(h), cos, sin, mask)
        moe_in = self.post_attention_layernorm(mid)
        if self.sparse:
            y, logits, sel, w, margin = self.mlp(moe_in)
        else:
            y, logits, sel, w, margin = self.mlp(moe_in), None, None, None, float("inf")
        return mid + y, mid, moe_in, logits, sel, w, margin


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c, i) for i in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])


class DeepseekCausalLM(nn.Module):
    """deepseek_v3 / deepseek_v2 with the interface of hf_moe.CausalLM (init_weights, hf_state_dict, forward)."""

    def __init__(self, c: Dict[str, Any]):
        super().__init__()
        self.config = c
        self.fam = c["model_type"]
        self.model = Model(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.inv_freq, self.attention_factor = rope_parameters(c)

    def hf_state_dict(self) -> Dict[str, torch.Tensor]:
        return dict(self.state_dict())

    @torch.no_grad()
    def init_weights(self, std, g):
        for name, p in self.named_parameters():
            if p.dim() == 1 and name.endswith("bias"):
                p.normal_(0.0, std, generator=g)
            elif p.dim() == 1:  # norm weights near 1 so the test sees them
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.normal_(0.0, std, generator=g)
        for layer in self.model.layers:
            if layer.sparse and hasattr(layer.mlp.gate, "e_score_correction_bias"):
                layer.mlp.gate.e_score_correction_bias.copy_(0.1 * torch.randn(layer.mlp.E, generator=g))

    def forward(self, ids: torch.Tensor) -> Dict[str, Any]:
        T = ids.shape[1]
        freqs = torch.arange(T).float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos() * self.attention_factor, emb.sin() * self.attention_factor
        mask = torch.full((T, T), float("-inf")).triu(1)
        h = self.model.embed_tokens(ids)
        out: Dict[str, List[Any]] = {"router_logits": [], "selected": [], "gates": [], "hidden_mid": [], "moe_in": [], "hidden_out": []}
        margin = float("inf")
        for layer in self.model.layers:
            h, mid, moe_in, rl, sel, w, m = layer(h, cos, sin, mask)
            margin = min(margin, m)
            for key, v in (("router_logits", rl), ("selected", sel), ("gates", w), ("hidden_mid", mid), ("moe_in", moe_in), ("hidden_out", h)):
                out[key].append(v)
        out["logits"] = self.lm_head(self.model.norm(h))
        out["margin"] = margin
        return out
