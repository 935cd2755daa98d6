"""Rasa component adding ``emotion`` and ``escalation_threat`` to every parsed message.

Registered as an INTENT_CLASSIFIER because that is the graph slot for a trainable component
that only adds message attributes: Rasa trains it, then runs it in the predict graph after the
tokenizer and featurizers, and — unlike tokenizers and featurizers — never runs it over the
training data for the components after it. It reads no features of those components and
trains on its own data (``data/emotion/train.jsonl``), not on the intent examples.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.component_storage import persist_model, restore_model
from bot.nlu.emotion_lexicon import DEFAULT_DEGREE_WEIGHTS
from bot.nlu.emotion_model import NEUTRAL, EmotionModel, EmotionPrediction

logger = logging.getLogger(__name__)

EMOTION = "emotion"
ESCALATION_THREAT = "escalation_threat"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EmotionClassifier(GraphComponent):
    """Emotion (anger|anxiety|sadness|neutral|positive, intensity 1–3) and escalation threats."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults; relative paths are resolved against the directory ``rasa train`` runs in."""
        return {
            # Emotion training rows built by `python -m bot.nlu.emotion_data` (Weibo corpora
            # mapped to our five labels + the hand-written service phrases).
            "data_path": "data/emotion/train.jsonl",
            # DUTIR / HowNet / negation / service words, insults and emoji (copied into the
            # model at training time, so the model does not need the folder when it runs).
            "lexicon_dir": "data/emotion/lexicon",
            # Subsample the training rows (service phrases are always kept): tests use a few
            # thousand to train in seconds; None trains on everything.
            "max_examples": None,
            # Service phrases are in-domain and few: each counts as this many corpus rows.
            "service_weight": 3.0,
            # Multinomial logistic regression: saga converges in seconds on sparse n-grams
            # (lbfgs needs ~40 s for the same fit); C is the inverse regularisation strength.
            "solver": "saga",
            "C": 2.0,
            "tol": 0.001,
            "max_iter": 200,
            # Character n-grams: robust to jieba's segmentation and to unseen compounds.
            "ngram_range": [1, 3],
            "min_df": 2,
            "max_features": 80000,
            # Scale of the dense lexicon cues next to the unit-length TF-IDF row.
            "lexicon_weight": 1.0,
            # How many characters before an emotion word a negation / degree adverb may start.
            "negation_window": 4,
            # Share of a negated positive word (「不满意」) that counts as anger.
            "negated_positive_factor": 0.8,
            # Multipliers per HowNet degree level (+ "post": 「透顶」「死了」 after the word).
            "degree_weights": dict(DEFAULT_DEGREE_WEIGHTS),
            # Two cut points of the intensity score (1 below the first, 3 from the second);
            # None calibrates them on the hand-labelled service phrases at training time.
            "intensity_thresholds": None,
            # Extra escalation channels beyond the built-in ones (12315, 消协, 媒体, 律师 …).
            "threat_keywords": [],
            "random_seed": 42,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """scikit-learn fits, skops persists, OpenCC normalises."""
        return ["sklearn", "skops", "opencc"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: EmotionModel | None = None,
    ) -> None:
        """Use ``create`` or ``load``."""
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Hash of the emotion data and lexicon files.

        Rasa caches a trained component by its config and *Rasa's* training data; without
        this, editing ``data/emotion`` would not retrain the model.
        """
        import hashlib

        merged = {**cls.get_default_config(), **config}
        digest = hashlib.sha256()
        lexicon_dir = Path(merged["lexicon_dir"])
        files = [Path(merged["data_path"])]
        files += sorted(lexicon_dir.glob("*")) if lexicon_dir.is_dir() else []
        for path in files:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Fail at config time, not after the intent classifier trained for minutes."""
        low, high = config["ngram_range"]
        if not 1 <= int(low) <= int(high):
            raise InvalidConfigException(f"EmotionClassifier: bad ngram_range {low, high}")
        thresholds = config.get("intensity_thresholds")
        if thresholds and not float(thresholds[0]) < float(thresholds[1]):
            raise InvalidConfigException("EmotionClassifier: intensity_thresholds must rise")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmotionClassifier:
        """An untrained component."""
        merged = {**cls.get_default_config(), **config}
        cls.validate_config(merged)
        return cls(merged, model_storage, resource)

    def _new_model(self) -> EmotionModel:
        from bot.nlu.emotion_lexicon import Lexicon

        lexicon_dir = Path(self.config["lexicon_dir"])
        if not lexicon_dir.is_dir():
            raise InvalidConfigException(f"EmotionClassifier: no lexicon folder {lexicon_dir}")
        lexicon = Lexicon.from_dir(
            lexicon_dir,
            degree_weights=self.config["degree_weights"],
            window=int(self.config["negation_window"]),
            negated_positive_factor=float(self.config["negated_positive_factor"]),
        )
        return EmotionModel(self.config, lexicon)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on ``data_path``; Rasa's intent examples carry no emotion and are ignored."""
        path = Path(self.config["data_path"])
        if not path.is_file():
            raise InvalidConfigException(
                f"EmotionClassifier: no training data at {path}; "
                "build it with `python -m bot.nlu.emotion_data`."
            )
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        self.model = self._new_model().fit(rows)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the fitted model into this component's resource."""
        persist_model(self._model_storage, self._resource, self.model)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EmotionClassifier:
        """Restore the trained model; without one every message is neutral (logged)."""
        merged = {**cls.get_default_config(), **config}
        model = restore_model(
            model_storage,
            resource,
            lambda folder: EmotionModel.load(folder, merged),
            "EmotionClassifier (every message neutral)",
        )
        return cls(merged, model_storage, resource, model)

    def predict(self, texts: list[str]) -> list[EmotionPrediction]:
        """Predictions for raw texts (neutral for all if untrained or on any failure)."""
        if self.model is None:
            return [NEUTRAL for _ in texts]
        try:
            return self.model.predict(texts)
        except Exception:  # one odd message must never break parsing
            logger.exception("Emotion prediction failed; reporting neutral.")
            return [NEUTRAL for _ in texts]

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``emotion`` and ``escalation_threat`` on each message, in the parse output."""
        predictions = self.predict([m.get(TEXT) or "" for m in messages])
        for message, prediction in zip(messages, predictions, strict=True):
            message.set(EMOTION, prediction.as_output(), add_to_output=True)
            message.set(ESCALATION_THREAT, prediction.escalation_threat, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing downstream needs emotion on the training examples."""
        return training_data
