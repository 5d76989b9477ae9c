"""Vectors shipped beside a catalog file, so that its first ingest embeds only what is new.

`<catalog>.vectors.npz` holds, for the embedder it names, a key per text (the first 8 bytes of
the text's SHA-256) and the text's vector in float16 (cosine to the float32 vector > 0.9999).
Ingest looks for it beside the catalog: texts found there are not embedded, the others are, so
an edited catalog still ingests right and a file made by another embedder is ignored. The demo
catalog ships one (about 6 MB), so that the app's first start writes vectors instead of
computing them; a test fails when the demo file or the embedder changes without it.

    python -m retrieval.prebuilt CATALOG [--mapping MAPPING]    (or: make demo-vectors)
"""

import argparse
import hashlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from retrieval.embed import Embedder


def vectors_path(catalog: Path) -> Path:
    return catalog.with_name(catalog.name.split(".")[0] + ".vectors.npz")


def text_key(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


class PrebuiltEmbedder:
    """`inner`, answering from the vectors in `path` where it holds the text."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.found = self.embedded = 0  # texts answered from the file, and by `inner`
        self._rows: dict[int, int] = {}
        self._vectors = np.zeros((0, inner.dimension), dtype=np.float16)
        try:
            with np.load(path) as data:
                if str(data["embedder"]) != inner.name or data["vectors"].shape[1:] != (
                    inner.dimension,
                ):
                    return
                self._vectors = data["vectors"]
                self._rows = {int(k): n for n, k in enumerate(data["keys"])}
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError) as error:  # a damaged file costs only time
            print(f"note: ignoring {path.name} ({error}); embedding instead", file=sys.stderr)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        rows = [self._rows.get(text_key(t)) for t in texts]
        missing = [n for n, row in enumerate(rows) if row is None]
        for n, row in enumerate(rows):
            if row is not None:
                out[n] = self._vectors[row]
        if missing:
            out[missing] = self.inner.embed([texts[n] for n in missing])
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        self.found += len(texts) - len(missing)
        self.embedded += len(missing)
        return out


def write(path: Path, texts: Iterable[str], embedder: Embedder) -> int:
    """Embed each distinct text once and save the file; returns the number of texts."""
    unique = sorted(set(texts))
    vectors = embedder.embed(unique).astype(np.float16)
    keys = np.array([text_key(t) for t in unique], dtype=np.uint64)
    with path.open("wb") as out:  # the name as given (np.savez would append ".npz")
        np.savez_compressed(out, embedder=embedder.name, keys=keys, vectors=vectors)
    return len(unique)


def main(argv: list[str] | None = None) -> None:
    from retrieval.catalog import load_catalog
    from retrieval.embed import MiniLMEmbedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", type=Path)
    parser.add_argument("--mapping", type=Path, default=None)
    args = parser.parse_args(argv)
    items = load_catalog(args.catalog, args.mapping).items
    target = vectors_path(args.catalog)
    texts = (text for item in items for text in item.field_texts().values())
    count = write(target, texts, MiniLMEmbedder(precision="float32"))
    print(f"{target}: {count} texts of {len(items)} items ({target.stat().st_size >> 10} KiB)")


if __name__ == "__main__":
    main()
