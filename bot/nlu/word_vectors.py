"""Word vectors learned from unlabelled text, for the linear intent model's dense block.

PPMI of word co-occurrences reduced by SVD (Levy, Goldberg & Dagan 2015): words the labelled
examples never used still land near the words they did. A message is the mean vector of its
words. Persisted without pickle: the vectors as a NumPy archive, the words as JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

VECTORS_FILE = "word_vectors.npz"
VECTOR_WORDS_FILE = "word_vectors.json"
# Word vectors: words within this many positions co-occur; words seen fewer times than
# MIN_COUNT, or beyond the MAX_WORDS most frequent, get no vector (data/README.md).
WINDOW = 4
MIN_COUNT = 3
MAX_WORDS = 30000
# Context distribution smoothing of the PPMI (Levy, Goldberg & Dagan 2015).
CONTEXT_POWER = 0.75


def _l2_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


@dataclass
class WordVectors:
    """Word vectors learned from unlabelled text; a message is the mean of its words' vectors."""

    words: list[str]
    #: One L2-normalised row per word (float32).
    vectors: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {word: i for i, word in enumerate(self.words)}

    @property
    def dims(self) -> int:
        """Length of a message's vector."""
        return int(self.vectors.shape[1])

    @classmethod
    def fit(cls, documents: Sequence[Sequence[str]], dims: int, seed: int = 42) -> WordVectors:
        """PPMI of word co-occurrences in ``documents`` (tokenised), reduced to ``dims`` by SVD.

        Args:
            documents: the unlabelled texts, each as its words.
            dims: length of the vectors (fewer when the vocabulary is smaller).
            seed: random seed of the randomized SVD.

        Returns:
            The fitted vectors, rows ``U · sqrt(S)`` of the SVD, L2-normalised.
        """
        from scipy.sparse import coo_matrix, csr_matrix
        from sklearn.decomposition import TruncatedSVD

        counts = Counter(word for document in documents for word in document)
        words = [word for word, n in counts.most_common(MAX_WORDS) if n >= MIN_COUNT]
        if len(words) < 3:
            raise ValueError("too few words in the unlabelled text to learn word vectors")
        index = {word: i for i, word in enumerate(words)}
        rows: list[int] = []
        columns: list[int] = []
        for document in documents:
            ids = [index[word] for word in document if word in index]
            for position, first in enumerate(ids):
                for second in ids[position + 1 : position + 1 + WINDOW]:
                    rows += [first, second]
                    columns += [second, first]
        size = len(words)
        pairs = coo_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, columns)), shape=(size, size)
        ).tocsr()
        pairs.sum_duplicates()
        pairs = pairs.tocoo()
        total = pairs.data.sum()
        if total == 0:
            raise ValueError("no two known words co-occur in the unlabelled text")
        word_p = np.bincount(pairs.row, weights=pairs.data, minlength=size) / total
        context = np.bincount(pairs.col, weights=pairs.data, minlength=size) ** CONTEXT_POWER
        context_p = context / context.sum()
        pmi = np.log(pairs.data / total / (word_p[pairs.row] * context_p[pairs.col]))
        keep = pmi > 0
        ppmi = csr_matrix((pmi[keep], (pairs.row[keep], pairs.col[keep])), shape=(size, size))
        svd = TruncatedSVD(min(dims, size - 1), algorithm="randomized", random_state=seed)
        scaled = svd.fit_transform(ppmi) / np.sqrt(np.maximum(svd.singular_values_, 1e-12))
        return cls(words, _l2_rows(scaled))

    def transform(self, documents: Sequence[Sequence[str]]) -> np.ndarray:
        """One L2-normalised row per document: the mean vector of its known words (or zeros)."""
        rows = np.zeros((len(documents), self.dims), dtype=np.float32)
        for row, document in enumerate(documents):
            ids = [self.index[word] for word in document if word in self.index]
            if ids:
                rows[row] = self.vectors[ids].mean(axis=0)
        return _l2_rows(rows)

    def save(self, folder: Path) -> None:
        """Vectors as a NumPy archive, the words as JSON (no pickle)."""
        np.savez(folder / VECTORS_FILE, vectors=self.vectors)
        (folder / VECTOR_WORDS_FILE).write_text(
            json.dumps(self.words, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> WordVectors:
        """Inverse of ``save``."""
        words = json.loads((folder / VECTOR_WORDS_FILE).read_text(encoding="utf-8"))
        vectors = np.load(folder / VECTORS_FILE, allow_pickle=False)["vectors"]
        return cls(list(words), np.asarray(vectors, dtype=np.float32))
