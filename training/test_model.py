"""Unit tests for model.py / hf_io.py / bpe.py and the tiny-mixtral fixture.

Run from the repo root:  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 -m unittest discover -s training -p 'test_*.py'
(or: cd training && /usr/bin/python3 -m unittest test_model)
"""
from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bpe import ByteBPE, train_bpe, word_counts  # noqa: E402
from hf_io import (load_checkpoint, read_checkpoint_tensors, read_safetensors, save_checkpoint,  # noqa: E402
                   write_safetensors)
from model import MixtralConfig, MixtralForCausalLM, load_balancing_loss  # noqa: E402

FIX = os.path.join(HERE, "fixtures", "tiny-mixtral")
torch.set_num_threads(1)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def small_model(seed=0):
    cfg = MixtralConfig(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
                        rope_theta=10000.0, num_local_experts=4, num_experts_per_tok=2, initializer_range=0.3)
    m = MixtralForCausalLM(cfg)
    m.init_weights(0.3, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        for L in m.layers:  # non-trivial norm weights
            L.input_layernorm.weight.uniform_(0.5, 1.5)
    return m.eval()


def numpy_forward(t, cfg, ids):
    """Independent float64 NumPy re-implementation of HF MixtralForCausalLM (no code shared with model.py)."""
    H, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, E, k, eps = H // nh, cfg["num_local_experts"], cfg["num_experts_per_tok"], cfg["rms_norm_eps"]
    T = len(ids)
    g = lambda n: t[n].astype(np.float64)  # noqa: E731

    def rms(x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w

    inv = 1.0 / cfg["rope_theta"] ** (np.arange(0, hd, 2) / hd)
    ang = np.arange(T)[:, None] * inv[None, :]
    cos, sin = np.cos(np.concatenate([ang, ang], 1)), np.sin(np.concatenate([ang, ang], 1))

    def rope(x):  # x [T, hd]
        x1, x2 = x[:, : hd // 2], x[:, hd // 2:]
        return x * cos + np.concatenate([-x2, x1], 1) * sin

    h = g("model.embed_tokens.weight")[ids]
    router = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms(h, g(p + "input_layernorm.weight"))
        q = x @ g(p + "self_attn.q_proj.weight").T
        kk = x @ g(p + "self_attn.k_proj.weight").T
        v = x @ g(p + "self_attn.v_proj.weight").T
        outs = []
        for head in range(nh):
            kvh = head // (nh // nkv)
            qh = rope(q[:, head * hd:(head + 1) * hd])
            kh = rope(kk[:, kvh * hd:(kvh + 1) * hd])
            vh = v[:, kvh * hd:(kvh + 1) * hd]
            s = qh @ kh.T / np.sqrt(hd)
            s[np.triu_indices(T, 1)] = -np.inf
            a = np.exp(s - s.max(1, keepdims=True))
            a /= a.sum(1, keepdims=True)
            outs.append(a @ vh)
        h = h + np.concatenate(outs, 1) @ g(p + "self_attn.o_proj.weight").T
        m = rms(h, g(p + "post_attention_layernorm.weight"))
        z = m @ g(p + "block_sparse_moe.gate.weight").T
        router.append(z)
        pr = np.exp(z - z.max(1, keepdims=True))
        pr /= pr.sum(1, keepdims=True)
        y = np.zeros_like(h)
        for tt in range(T):
            top = np.argsort(-pr[tt])[:k]
            w = pr[tt, top] / pr[tt, top].sum()
            for wi, e in zip(w, top):
                pe = p + f"block_sparse_moe.experts.{e}."
                a1 = g(pe + "w1.weight") @ m[tt]
                y[tt] += wi * (g(pe + "w2.weight") @ (a1 / (1 + np.exp(-a1)) * (g(pe + "w3.weight") @ m[tt])))
        h = h + y
    logits = rms(h, g("model.norm.weight")) @ g("lm_head.weight").T
    return logits, router


class TestSafetensors(unittest.TestCase):
    def test_format(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            a = np.arange(6, dtype=np.float32).reshape(2, 3)
            b = np.array([1.5], dtype=np.float32)
            write_safetensors(p, {"a": a, "b": b})
            with open(p, "rb") as f:
                raw = f.read()
            (n,) = struct.unpack("<Q", raw[:8])
            self.assertEqual((8 + n) % 8, 0)
            hdr = json.loads(raw[8:8 + n])
            self.assertEqual(hdr["__metadata__"], {"format": "pt"})
            self.assertEqual(hdr["a"], {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})
            self.assertEqual(hdr["b"]["data_offsets"], [24, 28])
            self.assertEqual(len(raw), 8 + n + 28)
            back = read_safetensors(p)
            np.testing.assert_array_equal(back["a"], a)
            np.testing.assert_array_equal(back["b"], b)


class TestHFIO(unittest.TestCase):
    def test_round_trip_layouts(self):
        m = small_model()
        x = torch.tensor([[1, 5, 7, 2, 9, 11, 3]])
        with torch.no_grad():
            ref = m(x)
        with tempfile.TemporaryDirectory() as d:
            for layout, shards in (("per_expert", 1), ("fused", 1), ("per_expert", 3), ("fused", 2)):
                sub = os.path.join(d, f"{layout}{shards}")
                save_checkpoint(m, sub, layout=layout, shards=shards)
                t = read_checkpoint_tensors(sub)
                if layout == "fused":
                    self.assertEqual(list(t["model.layers.0.mlp.experts.gate_up_proj"].shape), [4, 48, 16])
                    self.assertEqual(list(t["model.layers.0.mlp.experts.down_proj"].shape), [4, 16, 24])
                    self.assertEqual(list(t["model.layers.0.mlp.gate.weight"].shape), [4, 16])
                else:
                    self.assertEqual(list(t["model.layers.1.block_sparse_moe.experts.3.w1.weight"].shape), [24, 16])
                    self.assertEqual(list(t["model.layers.1.block_sparse_moe.experts.3.w2.weight"].shape), [16, 24])
                if shards > 1:
                    idx = load_json(os.path.join(sub, "model.safetensors.index.json"))
                    self.assertEqual(len(set(idx["weight_map"].values())), shards)
                m2 = load_checkpoint(sub)
                with torch.no_grad():
                    out = m2(x)
                self.assertTrue(torch.equal(out["logits"], ref["logits"]), layout)
                for a, b in zip(out["router_logits"], ref["router_logits"]):
                    self.assertTrue(torch.equal(a, b))

    def test_fused_order(self):
        m = small_model()
        with tempfile.TemporaryDirectory() as d:
            save_checkpoint(m, d, layout="fused")
            t = read_checkpoint_tensors(d)
        gu = t["model.layers.1.mlp.experts.gate_up_proj"]
        moe = m.layers[1].block_sparse_moe
        np.testing.assert_array_equal(gu[2, :24], moe.w1[2].detach().numpy())
        np.testing.assert_array_equal(gu[2, 24:], moe.w3[2].detach().numpy())


class TestSemantics(unittest.TestCase):
    def test_moe_matches_dense_formula(self):
        m = small_model(1)
        moe = m.layers[0].block_sparse_moe
        x = torch.randn(1, 6, 16, generator=torch.Generator().manual_seed(3))
        with torch.no_grad():
            out, logits, sel, gates = moe(x)
            p = torch.softmax(logits[0], -1)
            for t in range(6):
                top = torch.argsort(p[t], descending=True)[:2]
                w = p[t, top] / p[t, top].sum()
                y = sum(w[i] * moe.w2[e] @ (torch.nn.functional.silu(moe.w1[e] @ x[0, t]) * (moe.w3[e] @ x[0, t]))
                        for i, e in enumerate(top.tolist()))
                torch.testing.assert_close(out[0, t], y, atol=1e-6, rtol=1e-5)
                self.assertEqual(sel[0, t].tolist(), top.tolist())

    def test_causal(self):
        m = small_model(2)
        with torch.no_grad():
            a = m(torch.tensor([[1, 2, 3, 4, 5]]))["logits"]
            b = m(torch.tensor([[1, 2, 3, 9, 9]]))["logits"]
        torch.testing.assert_close(a[0, :3], b[0, :3])

    def test_aux_loss_uniform(self):
        # identical logits -> softmax uniform; topk picks experts 0,1 for every token -> f=[1,1,0,0] per k row
        z = torch.zeros(10, 4)
        v = load_balancing_loss([z], 4, 2).item()
        # E * sum_k sum_e f[k,e] * 1/E = sum over k of 1 = 2
        self.assertAlmostEqual(v, 2.0, places=6)

    def test_loss_fields(self):
        m = small_model(4)
        x = torch.tensor([[1, 2, 3, 4]])
        out = m(x, labels=torch.tensor([[2, 3, 4, -100]]))
        self.assertAlmostEqual(out["loss"].item(), out["ce"].item() + 0.02 * out["aux"].item(), places=5)


class TestFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ref = load_json(os.path.join(FIX, "reference.json"))

    def check(self, sub):
        m = load_checkpoint(os.path.join(FIX, sub))
        for case in self.ref["cases"]:
            with torch.no_grad():
                out = m(torch.tensor([case["input_ids"]]), collect=True)
            np.testing.assert_allclose(out["logits"][0].numpy(), np.array(case["logits"], np.float32), atol=1e-5)
            for l in range(m.config.num_hidden_layers):
                np.testing.assert_allclose(out["router_logits"][l][0].numpy(), np.array(case["router_logits"][l]),
                                           atol=1e-5)
                self.assertEqual(out["selected"][l][0].tolist(), case["selected"][l])
                np.testing.assert_allclose(out["hidden_mid"][l][0].numpy(), np.array(case["hidden_mid"][l]), atol=1e-5)

    def test_independent_numpy_reference(self):
        t = read_checkpoint_tensors(os.path.join(FIX, "hf"))
        cfg = load_json(os.path.join(FIX, "hf", "config.json"))
        for case in self.ref["cases"]:
            logits, router = numpy_forward(t, cfg, case["input_ids"])
            np.testing.assert_allclose(logits, np.array(case["logits"]), atol=2e-5)
            for l, z in enumerate(router):
                np.testing.assert_allclose(z, np.array(case["router_logits"][l]), atol=2e-5)

    def test_per_expert(self):
        self.check("hf")

    def test_fused_equals_per_expert(self):
        self.check("hf-fused")
        a = load_checkpoint(os.path.join(FIX, "hf"))
        b = load_checkpoint(os.path.join(FIX, "hf-fused"))
        x = torch.tensor([self.ref["cases"][0]["input_ids"]])
        with torch.no_grad():
            self.assertTrue(torch.equal(a(x)["logits"], b(x)["logits"]))

    def test_router_margins(self):
        for case in self.ref["cases"]:
            for layer in case["router_probs"]:
                for p in layer:
                    s = sorted(p, reverse=True)
                    self.assertGreater(s[1] - s[2], 1e-3)

    def test_tokenizer(self):
        tok = ByteBPE.load(os.path.join(FIX, "hf", "tokenizer.json"))
        case = self.ref["cases"][0]
        self.assertEqual(tok.encode(case["text"], add_bos=True), case["input_ids"])
        for s in ["Hello world", "Grüße", "日本語", "a\n\n  b\t'll"]:
            self.assertEqual(tok.decode(tok.encode(s)), s)


class TestBPE(unittest.TestCase):
    def test_train_and_roundtrip(self):
        texts = ["the cat sat on the mat", "the cat ate the rat", "猫が座った猫が", "Ünïcödé ünïcödé"] * 3
        merges = train_bpe(word_counts(texts), vocab_size=3 + 256 + 20)
        self.assertEqual(len(merges), 20)
        tok = ByteBPE(merges)
        for t in texts + ["unseen 텍스트 🙂"]:
            self.assertEqual(tok.decode(tok.encode(t)), t)
        tok2 = ByteBPE.from_hf_json(tok.to_hf_json())
        self.assertEqual(tok2.encode("the cat"), tok.encode("the cat"))
        self.assertLess(len(tok.encode("the cat")), len("the cat".encode()))


class TestDeepseekTraining(unittest.TestCase):
    """deepseek-moe's training pieces: the loss-free bias rule by hand, and that a few steps learn."""

    def small(self):
        from model import DeepseekCausalLM, deepseek_init, deepseek_v3_config
        c = deepseek_v3_config(64, hidden=16, layers=2, heads=2, dense_inter=24, moe_inter=8, experts=4, topk=2,
                               ctx=16, kv_lora_rank=8, qk_nope=4, qk_rope=4, v_head=4)
        m = DeepseekCausalLM(c)
        deepseek_init(m, 0.02, torch.Generator().manual_seed(0))
        return m

    def test_loss_free_update_by_hand(self):
        from model import loss_free_update
        m = self.small()
        # one MoE layer (layer 1), 4 experts, 3 tokens × top-2: loads 3, 2, 1, 0 → mean 1.5
        sel = [None, torch.tensor([[[0, 1], [0, 2], [0, 1]]])]
        counts = loss_free_update(m, sel, 0.01)
        self.assertEqual(counts.tolist(), [[3.0, 2.0, 1.0, 0.0]])
        b = m.model.layers[1].mlp.gate.e_score_correction_bias
        self.assertEqual([round(x, 6) for x in b.tolist()], [-0.01, -0.01, 0.01, 0.01])

    def test_bias_changes_selection_not_gates(self):
        m = self.small()
        m.eval()
        x = torch.randint(3, 64, (1, 10), generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            m.model.layers[1].mlp.gate.e_score_correction_bias.copy_(torch.tensor([0.0, 0.0, 0.0, 5.0]))
            out = m(x)
        sel, gates, logits = out["selected"][1][0], out["gates"][1][0], out["router_logits"][1][0]
        self.assertTrue(all(3 in row.tolist() for row in sel))  # the +5 bias puts expert 3 in every top-2
        s = torch.sigmoid(logits).gather(1, sel)
        self.assertTrue(torch.allclose(gates, s / s.sum(1, keepdim=True), atol=1e-6))  # gates: unbiased scores

    def test_a_few_steps_learn(self):
        from model import deepseek_loss, loss_free_update
        torch.manual_seed(0)
        m = self.small()
        opt = torch.optim.AdamW(m.parameters(), lr=1e-2)
        x = torch.randint(3, 64, (4, 16), generator=torch.Generator().manual_seed(2))
        y = torch.cat([x[:, 1:], torch.full((4, 1), -100)], 1)
        first = None
        for _ in range(30):
            out = deepseek_loss(m, x, y)
            opt.zero_grad()
            out["loss"].backward()
            opt.step()
            loss_free_update(m, out["selected"], 1e-3)
            first = first if first is not None else out["ce"].item()
        self.assertLess(out["ce"].item(), first - 1.0)


if __name__ == "__main__":
    unittest.main()
