"""The model behind ``LinearIntentClassifier``: TF-IDF n-grams → linear SVM → confidences.

The SVM's scores become probabilities through a softmax whose temperature is fitted on
held-out folds (least log-loss), so confidences are calibrated, not SVM margins. Everything is
persisted without pickle: vocabularies and IDF weights as JSON, weights as NumPy arrays.
Optionally dense blocks are appended: the message's words averaged over word vectors learned
from unlabelled public text (``bot.nlu.word_vectors``), and the message's vector from a
pretrained sentence encoder (``bot.nlu.sentence_encoder``), computed by the caller.
(A two-stage variant — complaint or not, then which — scored the same on held-out splits and
lower on the hard cases, so the model stays one SVM over all intents.)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.word_vectors import VECTORS_FILE, WordVectors

META_FILE = "linear_intent.json"
WEIGHTS_FILE = "weights.npz"
CHAR_FILE = "char_vectorizer.json"
WORD_FILE = "word_vectorizer.json"
# Temperatures tried when calibrating (scores of a linear SVM are roughly in [-2, 2]).
TEMPERATURES = np.geomspace(0.5, 50.0, 60)
DEFAULT_TEMPERATURE = 5.0


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``temperature * scores``."""
    scaled = scores * temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature with the least log-loss of held-out ``scores`` (rows) for ``labels``."""
    rows = np.arange(len(labels))
    losses = [-np.log(softmax(scores, t)[rows, labels] + 1e-12).mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def _two_columns(scores: np.ndarray) -> np.ndarray:
    """Binary SVMs give one score per row (for the second class); make it two columns."""
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


class WordNgrams:
    """Analyzer of the word vectorizer: n-grams of words the tokenizer already split."""

    def __init__(self, low: int = 1, high: int = 1) -> None:
        self.low, self.high = low, high

    def __call__(self, tokens: Sequence[str]) -> list[str]:
        grams: list[str] = []
        for n in range(self.low, self.high + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return grams


@dataclass
class LinearStage:
    """One calibrated linear SVM over a fixed set of classes."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    #: ``coef.T`` laid out row by row: a sparse row times a transposed view made SciPy copy
    #: the whole weight matrix for every message (~1.7 ms; 0.004 ms with this copy, made once).
    coef_t: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.coef_t = np.ascontiguousarray(self.coef.T)

    @classmethod
    def fit(cls, features: Any, labels: Sequence[str], config: dict[str, Any]) -> LinearStage:
        """Fit an SVM on ``features`` and calibrate its temperature on held-out folds."""
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.svm import LinearSVC

        classes = sorted(set(labels))
        if len(classes) == 1:  # nothing to decide: the one class gets probability 1
            return cls(classes, np.zeros((1, features.shape[1])), np.zeros(1), 1.0)
        target = np.array([classes.index(label) for label in labels])
        seed = int(config["random_seed"])

        def svm() -> Any:
            return LinearSVC(
                C=float(config["C"]), class_weight=config["class_weight"], random_state=seed
            )

        model = svm().fit(features, target)
        coef, intercept = model.coef_, model.intercept_
        if coef.shape[0] == 1:  # binary: one row for the second class, mirrored for the first
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        folds = min(int(config["calibration_folds"]), min(Counter(labels).values()))
        temperature = DEFAULT_TEMPERATURE
        if folds >= 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
            held_out = cross_val_predict(
                svm(), features, target, cv=splitter, method="decision_function"
            )
            temperature = fit_temperature(_two_columns(held_out), target)
        return cls(classes, np.asarray(coef), np.asarray(intercept), temperature)

    def probabilities(self, features: Any, dense: np.ndarray | None = None) -> np.ndarray:
        """One row of class probabilities per feature row.

        Args:
            features: the feature rows, or only their first (sparse) columns when ``dense``
                holds the remaining columns (a sparse row with a dense block converted and
                stacked cost more than the product itself).
            dense: the last columns of the feature rows as a dense array, or None.
        """
        if len(self.classes) == 1:
            return np.ones((features.shape[0], 1))
        if dense is None:
            scores = np.asarray(features @ self.coef_t + self.intercept)
        else:
            split = features.shape[1]
            scores = np.asarray(
                features @ self.coef_t[:split] + dense @ self.coef_t[split:] + self.intercept
            )
        return softmax(scores, self.temperature)


class IntentModel:
    """Vectorizers and one calibrated SVM; ranks intents for texts."""

    def __init__(self, config: dict[str, Any]) -> None:
        """``config`` is the component's (ngram ranges, C, class_weight, calibration …)."""
        self.config = config
        self.chars: Any = None
        self.words: Any = None
        self.svm: LinearStage | None = None
        self.vectors: WordVectors | None = None
        # Scale of the word-vector block (L2-normalised per row); used when ``fit`` is given
        # unlabelled text (older configs have no such key).
        self.unlabelled_weight = float(config.get("unlabelled_weight", 0.5))
        # Scale of the word block next to the character block (both L2-normalised per row);
        # a config written before this option has no such key: the blocks weigh the same.
        self.word_weight = float(config.get("word_weight", 1.0))
        # Scale of the sentence-encoder block (L2-normalised per row); 0 until ``fit`` is
        # given sentence vectors.
        self.sentence_weight = 0.0

    def _new_vectorizers(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        low, high = (int(n) for n in self.config["char_ngram_range"])
        self.chars = TfidfVectorizer(
            analyzer="char",
            ngram_range=(low, high),
            sublinear_tf=True,
            lowercase=False,
            # A config written before this option has no such key: every n-gram is kept.
            min_df=int(self.config.get("char_min_df", 1)),
        )
        self.words = None
        if self.config["use_words"]:
            low, high = (int(n) for n in self.config["word_ngram_range"])
            # A callable analyzer ignores ngram_range; it is set too so that it is persisted.
            self.words = TfidfVectorizer(
                analyzer=WordNgrams(low, high),
                ngram_range=(low, high),
                sublinear_tf=True,
                lowercase=False,
            )

    def features(
        self,
        texts: Sequence[str],
        words: Sequence[Sequence[str]],
        fit: bool,
        with_vectors: bool = True,
        sentences: np.ndarray | None = None,
    ) -> Any:
        """TF-IDF character n-grams of ``texts`` next to word n-grams (× ``word_weight``).

        With ``with_vectors``, the dense blocks of ``dense_block`` are appended (word vectors
        when the model has them, ``sentences`` when the model uses the sentence encoder).
        """
        from scipy.sparse import csr_matrix, hstack

        blocks = [self.chars.fit_transform(texts) if fit else self.chars.transform(texts)]
        if self.words is not None:
            block = self.words.fit_transform(words) if fit else self.words.transform(words)
            blocks.append(block * self.word_weight if self.word_weight != 1.0 else block)
        dense = self.dense_block(words, sentences) if with_vectors else None
        if dense is not None:
            blocks.append(csr_matrix(dense))
        return hstack(blocks).tocsr()

    def vector_block(self, words: Sequence[Sequence[str]]) -> np.ndarray | None:
        """Each message's mean word vector (L2-normalised) × ``unlabelled_weight``, or None."""
        if self.vectors is None:
            return None
        return self.vectors.transform(words) * self.unlabelled_weight

    def dense_block(
        self, words: Sequence[Sequence[str]], sentences: np.ndarray | None = None
    ) -> np.ndarray | None:
        """The dense columns after the sparse ones: word vectors, then sentence vectors.

        Args:
            words: the messages' words.
            sentences: the messages' sentence-encoder rows (L2-normalised); required when the
                model was fitted with them.

        Returns:
            The block, or None when the model has no dense features.
        """
        blocks = []
        vectors = self.vector_block(words)
        if vectors is not None:
            blocks.append(vectors)
        if self.sentence_weight > 0:
            if sentences is None or len(sentences) != len(words):
                raise ValueError("this model needs a sentence-encoder row per message")
            blocks.append(np.asarray(sentences, dtype=np.float32) * self.sentence_weight)
        return np.hstack(blocks) if blocks else None

    def fit(
        self,
        texts: Sequence[str],
        words: Sequence[Sequence[str]],
        labels: Sequence[str],
        unlabelled: Sequence[Sequence[str]] | None = None,
        sentences: np.ndarray | None = None,
    ) -> IntentModel:
        """Fit the vectorizers and the SVM.

        Args:
            texts: the normalised texts of the examples.
            words: the tokenizer's words of each example.
            labels: the intent of each example.
            unlabelled: unlabelled documents as words; given (and ``unlabelled_weight`` > 0),
                word vectors are learned from them and their block is added to the features.
            sentences: one sentence-encoder row per example; given (and the config's
                ``sentence_weight`` > 0), the block is added to the features and ``rank``
                needs the same encoder's row for every message.
        """
        self._new_vectorizers()
        self.vectors = None
        if unlabelled and self.unlabelled_weight > 0:
            dims = int(self.config.get("unlabelled_dims", 200))
            self.vectors = WordVectors.fit(unlabelled, dims, int(self.config["random_seed"]))
        self.sentence_weight = 0.0
        if sentences is not None:
            self.sentence_weight = float(self.config.get("sentence_weight", 0.0))
        features = self.features(texts, words, fit=True, sentences=sentences)
        self.svm = LinearStage.fit(features, labels, self.config)
        return self

    def rank(
        self, text: str, words: Sequence[str], sentence: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """All intents with their probabilities, best first.

        ``sentence`` is the message's sentence-encoder row, required when
        ``sentence_weight`` > 0.
        """
        if self.svm is None:
            return []
        sparse = self.features([text], [words], fit=False, with_vectors=False)
        rows = None if sentence is None else np.asarray(sentence).reshape(1, -1)
        probabilities = self.svm.probabilities(sparse, self.dense_block([words], rows))[0]
        scored = zip(self.svm.classes, probabilities.tolist(), strict=True)
        return sorted(scored, key=lambda pair: -pair[1])

    def save(self, folder: Path) -> None:
        """Vocabularies and IDF weights as JSON, SVM weights as a NumPy archive (no pickle)."""
        folder.mkdir(parents=True, exist_ok=True)
        _save_vectorizer(self.chars, folder / CHAR_FILE)
        if self.words is not None:
            _save_vectorizer(self.words, folder / WORD_FILE)
        if self.svm is None:
            raise ValueError("nothing to save: the model was not fitted")
        np.savez(folder / WEIGHTS_FILE, coef=self.svm.coef, intercept=self.svm.intercept)
        meta = {
            "version": 1,
            "classes": self.svm.classes,
            "temperature": self.svm.temperature,
            "word_weight": self.word_weight,
            "unlabelled_weight": self.unlabelled_weight if self.vectors is not None else 0.0,
            "sentence_weight": self.sentence_weight,
        }
        if self.vectors is not None:
            self.vectors.save(folder)
        (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> IntentModel:
        """Inverse of ``save``."""
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        weights = np.load(folder / WEIGHTS_FILE, allow_pickle=False)
        model = cls(config)
        # The weight the SVM was trained with, not the current config's (older models: 1).
        model.word_weight = float(meta.get("word_weight", 1.0))
        model.unlabelled_weight = float(meta.get("unlabelled_weight", 0.0))
        model.sentence_weight = float(meta.get("sentence_weight", 0.0))
        if (folder / VECTORS_FILE).exists():
            model.vectors = WordVectors.load(folder)
        model.chars = _load_vectorizer(folder / CHAR_FILE, "char")
        word_file = folder / WORD_FILE
        if word_file.exists():
            low, high = json.loads(word_file.read_text(encoding="utf-8"))["ngram_range"]
            model.words = _load_vectorizer(word_file, WordNgrams(int(low), int(high)))
        model.svm = LinearStage(
            list(meta["classes"]),
            weights["coef"],
            weights["intercept"],
            float(meta["temperature"]),
        )
        return model


def _save_vectorizer(vectorizer: Any, path: Path) -> None:
    data = {
        "ngram_range": list(vectorizer.ngram_range),
        "vocabulary": {term: int(i) for term, i in vectorizer.vocabulary_.items()},
        "idf": [float(x) for x in vectorizer.idf_],
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _load_vectorizer(path: Path, analyzer: Any) -> Any:
    """A fitted TF-IDF vectorizer from its JSON (vocabulary fixed, IDF weights restored)."""
    from bot.nlu.tfidf import restore_tfidf

    data = json.loads(path.read_text(encoding="utf-8"))
    return restore_tfidf(
        data["vocabulary"],
        data["idf"],
        analyzer=analyzer,
        ngram_range=tuple(data["ngram_range"]),
        sublinear_tf=True,
        lowercase=False,
    )
