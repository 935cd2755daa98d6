"""Intent classifier: a calibrated linear SVM, blended with DIET's ranking when one precedes it.

DESIGN.md §3 names DIET as the intent model, and until 2026-12-07 this component sat after DIET
and took a weighted average of DIET's confidences and the SVM's calibrated probabilities per
intent (the two erred on different messages). With the pretrained sentence encoder's vector
among the SVM's features (``sentence_encoder``), the SVM alone scored above every blend on
inner splits of the evaluation's training part, so config.yml runs it alone (data/README.md);
given a pipeline with DIET before it, it still blends (``diet_weight``). Its features:
TF-IDF character n-grams of the normalised text (they do not depend on jieba's segmentation, so
typos and unseen compounds still share most features), the tokenizer's words, optionally word
vectors learned from a file of unlabelled public text (``unlabelled_corpus``) and the sentence
encoder's vector. The model (one SVM over all intents, calibrated confidences) is
``bot.nlu.linear_model``."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.component_storage import persist_model, restore_model
from bot.nlu.linear_model import IntentModel
from bot.nlu.normalize import normalize
from bot.nlu.sentence_encoder import (
    EncoderUnavailableError,
    SentenceEncoder,
    model_id,
    model_path,
)
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)


def message_text(message: Message) -> str:
    """The normalised, lower-cased text the character n-grams are taken from."""
    return normalize(message.get(TEXT) or "").lower()


def message_words(message: Message) -> list[str]:
    """The tokenizer's words, normalised like the text (「貨」 and 「货」 are one word)."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return [normalize(token.text).lower() for token in tokens if token.text.strip()]


def resolve_path(path: str) -> Path:
    """``path`` as given when absolute or found from the working directory, else under the root.

    ``rasa train`` runs from the project root; tests and tools may not.
    """
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return PROJECT_ROOT / candidate


def read_unlabelled(path: Path, dictionary_path: str | None = None) -> list[list[str]]:
    """The documents of ``path`` (one per line) cut into words like messages are.

    Normalised, cut by jieba (with the user dictionaries of ``dictionary_path`` loaded, as
    ``bot.nlu.tokenizer.ChineseTokenizer`` does), each word normalised and lowercased like
    ``message_words``. Empty lines are skipped.
    """
    import jieba

    from bot.nlu.tokenizer import ChineseTokenizer

    if dictionary_path:
        ChineseTokenizer._load_custom_dictionary(str(resolve_path(dictionary_path)))
    documents = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cut = jieba.tokenize(normalize(line))
        words = [normalize(word).lower() for word, _, _ in cut if word.strip()]
        if words:
            documents.append(words)
    return documents


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Blends DIET's intent ranking with a calibrated linear SVM on character n-grams and words."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults, chosen by stratified cross-validation and five held-out splits of data/nlu."""
        return {
            # Character n-grams of the normalised text (Traditional → Simplified, full-width →
            # half-width): 1–3 beat 1–4 and 2–4 (single characters carry 坏/退/扣/送).
            "char_ngram_range": [1, 3],
            # Drop character n-grams found in fewer training examples than this. 1 keeps all
            # (right for small data sets); config.yml sets 2 for data/nlu, where the fragments
            # of one long real review are noise (see the note there).
            "char_min_df": 1,
            # Add the tokenizer's words (the domain dictionary keeps 快递员, 退款, 发票 whole);
            # word pairs ([1, 2]) scored lower.
            "use_words": True,
            "word_ngram_range": [1, 1],
            # Scale of the word features next to the character n-grams (each block is
            # L2-normalised per message). 1 weighs them the same; 0.5 scored higher for the SVM
            # alone but not in the blend with DIET, so config.yml keeps 1 (see the note there).
            "word_weight": 1.0,
            # A UTF-8 text file of unlabelled documents, one per line (relative paths: from the
            # working directory, else the project root). Set, word vectors are learned from it
            # (PPMI + SVD, ``bot.nlu.word_vectors.WordVectors``) and each message's mean word
            # vector is added to the SVM's features. None: off (also in config.yml: the blend
            # with DIET scored lower with it, data/README.md).
            "unlabelled_corpus": None,
            # jieba user dictionaries (a folder of *.txt, as the tokenizer's dictionary_path) to
            # load before the corpus is cut into words, so it is cut like the messages.
            "unlabelled_dictionary_path": None,
            # Scale of the mean-word-vector block (L2-normalised per message) and its length.
            "unlabelled_weight": 0.5,
            "unlabelled_dims": 200,
            # Add each message's vector from the pretrained multilingual sentence encoder
            # (``bot.nlu.sentence_encoder``; onnxruntime, ~2–13 ms a message) to the SVM's
            # features, scaled by sentence_weight (rows are L2-normalised). Off by default, so
            # the component runs without the model package; config.yml turns it on.
            "sentence_encoder": False,
            "sentence_weight": 0.6,
            # Inverse regularisation of the SVMs; 0.5–2 score alike, 1 is the middle.
            "C": 1.0,
            # "balanced": rare intents weigh more (the 20–60-example conversation intents next
            # to 200+ examples per complaint category); None: every example counts once.
            "class_weight": "balanced",
            # Folds for calibrating the confidences (fewer when an intent has fewer examples).
            "calibration_folds": 5,
            # Share of DIET's confidence in the blend (the SVM gets the rest); 0 = SVM only,
            # 1 = DIET's ranking unchanged. Chosen by `python -m bot.nlu.blend_weight`: three
            # inner grouped splits (seeds 1–3) of the evaluation's training part only, never
            # its test part or the hard cases. Mean complaint macro-F1 on the inner validation
            # parts: DIET alone 0.835, SVM alone 0.868, 0.3 → 0.875 (0.2 and 0.4: 0.870).
            "diet_weight": 0.3,
            # How many intents `intent_ranking` lists (0 = all).
            "ranking_length": 10,
            "random_seed": 42,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """scikit-learn fits the vectorizers and the SVMs."""
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: IntentModel | None = None,
    ) -> None:
        """Use ``create`` or ``load``."""
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """An untrained component (the config is checked here, before anything trains)."""
        merged = {**cls.get_default_config(), **config}
        for key in ("char_ngram_range", "word_ngram_range"):
            low, high = merged[key]
            if not 1 <= int(low) <= int(high):
                raise InvalidConfigException(f"LinearIntentClassifier: bad {key} {low, high}")
        if int(merged["char_min_df"]) < 1:
            raise InvalidConfigException("LinearIntentClassifier: char_min_df must be >= 1")
        if float(merged["word_weight"]) < 0:
            raise InvalidConfigException("LinearIntentClassifier: word_weight must be >= 0")
        if float(merged["unlabelled_weight"]) < 0 or int(merged["unlabelled_dims"]) < 1:
            raise InvalidConfigException(
                "LinearIntentClassifier: unlabelled_weight must be >= 0, unlabelled_dims >= 1"
            )
        if merged["unlabelled_corpus"] and not resolve_path(merged["unlabelled_corpus"]).is_file():
            raise InvalidConfigException(
                f"LinearIntentClassifier: no unlabelled_corpus {merged['unlabelled_corpus']}"
            )
        if float(merged["sentence_weight"]) < 0:
            raise InvalidConfigException("LinearIntentClassifier: sentence_weight must be >= 0")
        if merged["sentence_encoder"]:
            try:
                model_path()
            except EncoderUnavailableError as error:
                raise InvalidConfigException(f"LinearIntentClassifier: {error}") from error
        if float(merged["C"]) <= 0:
            raise InvalidConfigException("LinearIntentClassifier: C must be positive")
        if merged["class_weight"] not in (None, "balanced"):
            raise InvalidConfigException("LinearIntentClassifier: class_weight None|balanced")
        if not 0 <= float(merged["diet_weight"]) <= 1:
            raise InvalidConfigException("LinearIntentClassifier: diet_weight must be in [0, 1]")
        return cls(merged, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the unlabelled corpus, its dictionaries or the encoder's model change."""
        corpus = config.get("unlabelled_corpus")
        encoder = model_id() if config.get("sentence_encoder") else ""
        if not corpus:
            return encoder or None
        digest = hashlib.sha256(encoder.encode())
        paths = [resolve_path(corpus)]
        dictionaries = config.get("unlabelled_dictionary_path")
        if dictionaries:
            paths += sorted(resolve_path(dictionaries).glob("*.txt"))
        for path in paths:
            digest.update(path.read_bytes() if path.is_file() else b"")
        return digest.hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on the intent examples and persist."""
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        labels = [str(e.get(INTENT)) for e in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier needs two intents or more; not trained.")
            return self._resource
        texts = [message_text(e) for e in examples]
        words = [message_words(e) for e in examples]
        unlabelled = None
        if self.config["unlabelled_corpus"]:
            unlabelled = read_unlabelled(
                resolve_path(self.config["unlabelled_corpus"]),
                self.config["unlabelled_dictionary_path"],
            )
        sentences = self._encoder().encode(texts) if self.config["sentence_encoder"] else None
        self.model = IntentModel(self.config).fit(texts, words, labels, unlabelled, sentences)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Blend DIET's ``intent_ranking`` with the SVM's; set ``intent`` and ``intent_ranking``.

        Without text or a trained SVM the message keeps what DIET wrote (no intent, confidence
        0, when nothing came before); without a DIET ranking before this component the SVM's
        ranking is used alone.
        """
        length = int(self.config["ranking_length"])
        for message in messages:
            ranking = self.blend(message.get(INTENT_RANKING_KEY) or [], self.rank(message))
            if not ranking:
                if message.get(INTENT) is None:
                    # Blank text and no classifier before this one: "no intent", as Rasa's own
                    # classifiers write it, so the fallback classifier has something to read.
                    message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                    message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:length] if length else ranking, True)
        return messages

    def blend(
        self, diet: list[dict[str, Any]], linear: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Per intent ``w · DIET + (1 − w) · SVM``, best first (an intent one left out has 0).

        Empty when the SVM has no ranking (no text, no model): the caller then leaves DIET's
        output alone. DIET lists only its top ``ranking_length`` intents, so intents it left
        out count as 0 for it — they had the least of its probability mass anyway.
        """
        if not linear:
            return []
        weight = float(self.config["diet_weight"]) if diet else 0.0
        scores = {entry["name"]: (1 - weight) * entry["confidence"] for entry in linear}
        for entry in diet:
            name = entry.get("name")
            if name is not None:
                scores[name] = scores.get(name, 0.0) + weight * float(entry["confidence"])
        ranked = sorted(scores.items(), key=lambda pair: -pair[1])
        return [{"name": name, "confidence": confidence} for name, confidence in ranked]

    def rank(self, message: Message) -> list[dict[str, Any]]:
        """All intents with their confidences, best first (empty without text or model)."""
        text = message_text(message)
        if self.model is None or not text.strip():
            return []
        sentence = self._encoder().encode([text])[0] if self.model.sentence_weight > 0 else None
        ranked = self.model.rank(text, message_words(message), sentence)
        return [{"name": name, "confidence": confidence} for name, confidence in ranked]

    @staticmethod
    def _encoder() -> SentenceEncoder:
        """The process's shared encoder (loaded on first use)."""
        return SentenceEncoder.shared()

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
    ) -> LinearIntentClassifier:
        """Restore the trained model; without one DIET's ranking passes unchanged (logged)."""
        merged = {**cls.get_default_config(), **config}
        model = restore_model(
            model_storage,
            resource,
            lambda folder: IntentModel.load(folder, merged),
            "LinearIntentClassifier",
        )
        if model is not None and model.sentence_weight > 0:
            # Load the encoder now, not at the first message: a missing model package shows at
            # start-up, and the first customer does not wait for it.
            try:
                cls._encoder()
            except EncoderUnavailableError as error:
                raise InvalidConfigException(
                    f"LinearIntentClassifier was trained with the sentence encoder: {error}"
                ) from error
        return cls(merged, model_storage, resource, model)
