"""The emotion model itself, independent of Rasa: fit, predict, save, load.

Character 1–3-gram TF-IDF on normalised text plus the lexicon's dense cues
(``bot.nlu.emotion_lexicon.features``) feed a multinomial logistic regression. Intensity is a
rule — ``intensity_score`` cut at two thresholds calibrated on the hand-labelled service
phrases — and escalation threats come from ``bot.nlu.threat``. ``bot.nlu.emotion`` wraps this
class as a Rasa component; ``bot.nlu.emotion_data --evaluate`` trains it directly.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.nlu.emotion_lexicon import (
    EMOTIONS,
    Analysis,
    Lexicon,
    clean_text,
    features,
    intensity_score,
    level,
)
from bot.nlu.normalize import normalize
from bot.nlu.threat import Threat, ThreatDetector

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLDS = (0.45, 1.0)
# Files inside a persisted model folder.
VECTORIZER_FILE = "vectorizer.json"
CLASSIFIER_FILE = "classifier.skops"
META_FILE = "emotion.json"
# Loading a skops file refuses every type outside sklearn/numpy except these (none needed).
TRUSTED_TYPES: list[str] = []
# TfidfVectorizer settings stored next to its vocabulary and IDF weights.
_VECTORIZER_PARAMS = ("analyzer", "ngram_range", "min_df", "max_features", "sublinear_tf")


@dataclass(frozen=True)
class EmotionPrediction:
    """What the component adds to a message."""

    name: str
    confidence: float
    intensity: int
    escalation_threat: bool

    def as_output(self) -> dict[str, Any]:
        """The ``emotion`` object of ``/model/parse`` (DESIGN §5)."""
        return {"name": self.name, "confidence": self.confidence, "intensity": self.intensity}


NEUTRAL = EmotionPrediction("neutral", 1.0, 1, False)


class EmotionModel:
    """Trainable emotion classifier with rule-based intensity and threat detection.

    Args:
        config: the component's config (see ``EmotionClassifier.get_default_config``).
        lexicon: the merged word lists.
    """

    def __init__(self, config: Mapping[str, Any], lexicon: Lexicon) -> None:
        self.config = dict(config)
        self.lexicon = lexicon
        self.threats = ThreatDetector(self.config.get("threat_keywords") or ())
        self.vectorizer: Any = None
        self.classifier: Any = None
        # The classifier's ``coef_.T`` laid out row by row, made once per classifier: a sparse
        # row times the transposed view made SciPy copy every weight per message (~1.7 ms).
        self._weights: tuple[Any, Any] | None = None
        self.thresholds: tuple[float, float] = tuple(  # type: ignore[assignment]
            self.config.get("intensity_thresholds") or DEFAULT_THRESHOLDS
        )

    # --- features -------------------------------------------------------------------------

    def _matrix(self, texts: Sequence[str], fit: bool = False) -> Any:
        return self._features(texts, fit)[0]

    def _features(
        self, texts: Sequence[str], fit: bool = False
    ) -> tuple[Any, list[bool], list[Analysis], list[Threat]]:
        """The model's input matrix, per text whether it held anything the model knows, and
        the lexical analysis and threat decision (kept: prediction reuses them)."""
        import numpy as np
        from scipy.sparse import csr_matrix, hstack

        normalised = [normalize(t) for t in texts]
        chars = (
            self.vectorizer.fit_transform(normalised)
            if fit
            else self.vectorizer.transform(normalised)
        )
        analyses = [self.lexicon.analyse(t) for t in texts]
        threats = [self.threats.detect(t) for t in texts]
        dense = [features(a, t.threat) for a, t in zip(analyses, threats, strict=True)]
        # Blank text still has a space n-gram; it must hold a visible character too.
        known = [
            bool(text.strip()) and (chars[i].nnz > 0 or any(row[:-1]))
            for i, (text, row) in enumerate(zip(normalised, dense, strict=True))
        ]
        weight = float(self.config["lexicon_weight"])
        lexical = csr_matrix(np.asarray(dense, dtype=np.float64) * weight)
        return hstack([chars, lexical], format="csr"), known, analyses, threats

    def _probabilities(self, matrix: Any) -> Any:
        """Class probabilities; the multinomial softmax computed directly, because
        scikit-learn's input checks cost more than the arithmetic for one message."""
        import numpy as np

        if getattr(self.classifier, "multi_class", "auto") == "ovr":
            return self.classifier.predict_proba(matrix)
        if self._weights is None or self._weights[0] is not self.classifier:
            self._weights = (self.classifier, np.ascontiguousarray(self.classifier.coef_.T))
        scores = np.asarray(matrix @ self._weights[1]) + self.classifier.intercept_
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    # --- training -------------------------------------------------------------------------

    def fit(self, examples: Sequence[Mapping[str, Any]]) -> EmotionModel:
        """Fit on ``{"text", "emotion", "intensity", "source"}`` rows (see data/emotion)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        rows = [r for r in examples if r.get("text") and r.get("emotion") in EMOTIONS]
        rows = subsample(rows, self.config.get("max_examples"), self.config["random_seed"])
        if len({r["emotion"] for r in rows}) < 2:
            raise ValueError("emotion training data needs at least two emotions")
        texts = [clean_text(r["text"]) for r in rows]
        service_weight = float(self.config["service_weight"])
        weights = [service_weight if r.get("source") == "service" else 1.0 for r in rows]
        low, high = self.config["ngram_range"]
        self.vectorizer = TfidfVectorizer(
            analyzer="char",
            ngram_range=(int(low), int(high)),
            min_df=int(self.config["min_df"]),
            max_features=self.config["max_features"],
            sublinear_tf=True,
            lowercase=True,
        )
        matrix = self._matrix(texts, fit=True)
        self.classifier = LogisticRegression(
            C=float(self.config["C"]),
            class_weight="balanced",
            max_iter=int(self.config["max_iter"]),
            tol=float(self.config["tol"]),
            multi_class="multinomial",
            solver=self.config["solver"],
            random_state=self.config["random_seed"],
        )
        self.classifier.fit(matrix, [r["emotion"] for r in rows], sample_weight=weights)
        if not self.config.get("intensity_thresholds"):
            self.thresholds = self.calibrate(rows)
        logger.info(
            "Emotion model trained on %d examples %s; intensity thresholds %s",
            len(rows),
            dict(Counter(r["emotion"] for r in rows)),
            self.thresholds,
        )
        return self

    def calibrate(self, rows: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
        """Pick the two cut points that best reproduce the hand-labelled intensities.

        Only rows with an intensity and a non-neutral emotion count (the Weibo corpora have no
        intensity). Ties go to the cut points nearest the defaults, so that a small or
        lopsided set cannot drag them somewhere odd.
        """
        labelled = [
            (self._score(r["text"], r["emotion"]), int(r["intensity"]))
            for r in rows
            if r.get("intensity") and r["emotion"] != "neutral"
        ]
        if len(labelled) < 30:
            return DEFAULT_THRESHOLDS
        grid = [round(0.2 + 0.05 * i, 2) for i in range(33)]
        best, best_key = DEFAULT_THRESHOLDS, (-1.0, 0.0)
        for low in grid:
            for high in grid:
                if high <= low + 0.2:
                    continue
                hits = sum(level(s, (low, high)) == gold for s, gold in labelled)
                distance = abs(low - DEFAULT_THRESHOLDS[0]) + abs(high - DEFAULT_THRESHOLDS[1])
                key = (hits / len(labelled), -distance)
                if key > best_key:
                    best, best_key = (low, high), key
        logger.info("Intensity calibration: %.2f agreement at %s", best_key[0], best)
        return best

    def _score(self, text: str, label: str) -> float:
        text = clean_text(text)
        analysis = self.lexicon.analyse(text)
        return intensity_score(analysis, label, self.threats.detect(text).threat)

    # --- prediction -----------------------------------------------------------------------

    def predict(self, texts: Sequence[str]) -> list[EmotionPrediction]:
        """Emotion, confidence, intensity and threat per text; neutral for what it can't read."""
        cleaned = [clean_text(t) for t in texts]
        if self.classifier is None or not cleaned:
            return [NEUTRAL for _ in cleaned]
        matrix, known, analyses, threats = self._features(cleaned)
        probabilities = self._probabilities(matrix)
        classes = list(self.classifier.classes_)
        out = []
        for row, seen, analysis, threat in zip(
            probabilities, known, analyses, threats, strict=True
        ):
            if not seen:
                # Nothing the model has seen (「🐶🐱」, blank, control characters): the
                # intercepts alone would pick a class at random-ish; neutral is honest.
                out.append(NEUTRAL)
                continue
            best = int(row.argmax())
            name, confidence = str(classes[best]), float(row[best])
            if threat.threat and not threat.asking and name in ("neutral", "positive"):
                # 「再不处理我就打12315」 is anger even when it is worded calmly (DESIGN §6).
                name, confidence = "anger", float(row[classes.index("anger")])
            intensity = 1
            if name != "neutral":
                intensity = level(intensity_score(analysis, name, threat.threat), self.thresholds)
                if threat.threat and not threat.asking and name == "anger":
                    intensity = max(intensity, 2)
            out.append(EmotionPrediction(name, round(confidence, 4), intensity, threat.threat))
        return out

    # --- persistence ----------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write vectorizer and classifier (skops) and lexicon + thresholds (JSON)."""
        import skops.io as sio

        folder.mkdir(parents=True, exist_ok=True)
        # The vectorizer goes to JSON: skops writes an 80,000-word vocabulary one node per
        # entry (100 s to dump, 20 s to load); JSON floats round-trip exactly.
        vectorizer = {
            "params": {k: getattr(self.vectorizer, k) for k in _VECTORIZER_PARAMS},
            "vocabulary": {term: int(i) for term, i in self.vectorizer.vocabulary_.items()},
            "idf": [float(x) for x in self.vectorizer.idf_],
        }
        (folder / VECTORIZER_FILE).write_text(
            json.dumps(vectorizer, ensure_ascii=False), encoding="utf-8"
        )
        sio.dump(self.classifier, folder / CLASSIFIER_FILE)
        meta = {
            "version": 1,
            "thresholds": list(self.thresholds),
            "lexicon": self.lexicon.to_dict(),
            "threat_keywords": list(self.config.get("threat_keywords") or ()),
            "lexicon_weight": self.config["lexicon_weight"],
        }
        (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, config: Mapping[str, Any]) -> EmotionModel:
        """Inverse of ``save``; refuses files holding types other than sklearn's and a CSR."""
        import skops.io as sio

        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        trained = {
            **config,
            "threat_keywords": meta["threat_keywords"],
            "lexicon_weight": meta["lexicon_weight"],
        }
        model = cls(trained, Lexicon.from_dict(meta["lexicon"]))
        model.thresholds = (float(meta["thresholds"][0]), float(meta["thresholds"][1]))
        model.vectorizer = _load_vectorizer(folder / VECTORIZER_FILE)
        path = folder / CLASSIFIER_FILE
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
        if untrusted:
            raise ValueError(f"{path} holds untrusted types {untrusted}")
        model.classifier = sio.load(path, trusted=TRUSTED_TYPES)
        return model


def _load_vectorizer(path: Path) -> Any:
    """A fitted TF-IDF vectorizer from its JSON (vocabulary fixed, IDF weights restored)."""
    from bot.nlu.tfidf import restore_tfidf

    data = json.loads(path.read_text(encoding="utf-8"))
    params = {**data["params"], "ngram_range": tuple(data["params"]["ngram_range"])}
    return restore_tfidf(data["vocabulary"], data["idf"], lowercase=True, **params)


def subsample(
    rows: Sequence[Mapping[str, Any]], limit: int | None, seed: int
) -> list[Mapping[str, Any]]:
    """At most ``limit`` rows: every service phrase, corpus rows stratified by emotion."""
    if not limit or len(rows) <= limit:
        return list(rows)
    service = [r for r in rows if r.get("source") == "service"]
    corpus = [r for r in rows if r.get("source") != "service"]
    budget = max(limit - len(service), 0)
    by_label: dict[str, list[Mapping[str, Any]]] = {}
    for row in corpus:
        by_label.setdefault(row["emotion"], []).append(row)
    rng = random.Random(seed)
    kept: list[Mapping[str, Any]] = []
    for group in by_label.values():
        share = round(budget * len(group) / max(len(corpus), 1))
        kept += rng.sample(group, min(share, len(group)))
    return service + kept
