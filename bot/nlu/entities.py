"""Rule-based Chinese entity extractor: order numbers, phones, amounts, dates and products.

There is no Chinese spaCy model to download here and the entities are closed forms, so rules
do the work: regexes for the number-shaped entities (:mod:`bot.nlu.numbers`,
:mod:`bot.nlu.dates`) and a spaCy ``PhraseMatcher`` over spaCy's blank ``zh`` language with the
jieba segmenter for the product lexicon. All offsets are character offsets into the text the
customer typed: matching runs on a width-normalised copy of exactly the same length.

Written like Rasa's own ``JiebaTokenizer`` / ``RegexEntityExtractor``: registered with the
default recipe, heavy imports inside methods, the lexicon persisted through ``model_storage``
so a trained model does not need ``data/dict/products.txt``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.dates import SHANGHAI, find_dates
from bot.nlu.numbers import (
    claim_span,
    find_amounts,
    find_order_ids,
    find_phones,
    normalize_width,
)

logger = logging.getLogger(__name__)

ORDER_ID = "order_id"
PHONE = "phone"
AMOUNT = "amount"
DATE = "date"
PRODUCT = "product"
# On overlap the earlier type wins: the 11 digits inside an order number are no phone, and a
# phone or order number is never read as an amount or a date.
ALL_ENTITIES = (ORDER_ID, PHONE, DATE, AMOUNT, PRODUCT)


def _span(name: str, start: int, end: int, value: Any) -> dict[str, Any]:
    """A Rasa entity dict; the extractor name is added by ``add_extractor_name``."""
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
    }


def _resolve_overlaps(spans: list[dict[str, Any]], length: int) -> list[dict[str, Any]]:
    """Keep non-overlapping spans: by entity priority, then the longer one."""
    priority = {name: rank for rank, name in enumerate(ALL_ENTITIES)}

    def rank(span: dict[str, Any]) -> tuple[int, int, int]:
        length = span[ENTITY_ATTRIBUTE_END] - span[ENTITY_ATTRIBUTE_START]
        return priority[span[ENTITY_ATTRIBUTE_TYPE]], -length, span[ENTITY_ATTRIBUTE_START]

    taken = bytearray(length)
    kept = [
        span
        for span in sorted(spans, key=rank)
        if claim_span(taken, span[ENTITY_ATTRIBUTE_START], span[ENTITY_ATTRIBUTE_END])
    ]
    return sorted(kept, key=lambda s: s[ENTITY_ATTRIBUTE_START])


def _as_datetime(raw: Any) -> datetime | None:
    """Read a datetime, epoch seconds / milliseconds or an ISO string; ``None`` if unreadable."""
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            try:
                return datetime.fromisoformat(raw.strip())
            except ValueError:
                return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        try:
            return datetime.fromtimestamp(raw / 1000 if raw > 1e11 else raw, tz=SHANGHAI)
        except (ValueError, OverflowError, OSError):
            return None
    return None


def reference_time(message: Message) -> datetime:
    """The "now" that relative dates in ``message`` are resolved against.

    Rasa's server does not stamp parsed messages (``NLUMessageConverter`` sets neither the
    ``time`` attribute nor data key), so this is the current time unless a caller put one in:
    ``message.get("time")`` (datetime, epoch seconds or milliseconds, or ISO string) or the
    ``Message.time`` attribute (epoch seconds, as ``DucklingEntityExtractor`` reads it).
    """
    for raw in (message.get("time"), getattr(message, "time", None)):
        when = _as_datetime(raw)
        if when is not None:
            return when
        if raw is not None:
            logger.debug("Ignoring unreadable message time %r", raw)
    return datetime.now(tz=SHANGHAI)


def read_lexicon(path: Path) -> list[str]:
    """Product words from a lexicon file: one per line, blank lines and ``#`` lines skipped.

    Only the word is kept from a jieba-style ``word freq tag`` line; a word may contain
    spaces (``Apple Watch``).
    """
    words: list[str] = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        word = re.sub(r"(?: \d+)?(?: [a-z]+)?$", "", line.strip())
        if word and not word.startswith("#") and word not in words:
            words.append(word)
    return words


class _DictionarySegmenter:
    """Jieba without its HMM, in the ``cut`` shape spaCy's Chinese tokenizer calls.

    Products are dictionary words, so the HMM's guesses at unknown words add nothing, and on a
    long run of unknown characters (「二二二…」 × 10,000) it takes a second where this takes
    a tenth.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def cut(self, text: str, cut_all: bool = False) -> Any:
        """Segment ``text`` with dictionary words only."""
        return self._tokenizer.cut(text, cut_all=cut_all, HMM=False)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ChineseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts order_id, phone, amount, date and product entities from Chinese text."""

    LEXICON_FILE = "products.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # Product lexicon, one word per line. Read at training time and stored in the
            # model, so a trained model runs without the file.
            "products_path": "data/dict/products.txt",
            # Which entity types to extract (a subset of order_id, phone, amount, date,
            # product), e.g. to leave order_id to a RegexEntityExtractor.
            "entities": list(ALL_ENTITIES),
            # Offset of the customers' clock from UTC in hours, for 今天/昨天: China
            # Standard Time has no daylight saving, so a fixed offset is exact.
            "utc_offset_hours": 8,
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        """Chinese only: the rules and the jieba segmenter are Chinese."""
        return ["zh"]

    @staticmethod
    def required_packages() -> list[str]:
        """Packages imported inside the methods."""
        return ["spacy", "jieba"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the lexicon file changes, not only when the config or data do."""
        path = Path(str(config.get("products_path") or ""))
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        products: list[str] | None = None,
    ) -> None:
        """Creates the extractor; ``products`` is the lexicon restored from storage."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.products: list[str] = list(products or [])
        unknown = set(self._config["entities"]) - set(ALL_ENTITIES)
        if unknown:
            raise ValueError(f"{self.name}: unknown entity types {sorted(unknown)}")
        offset = float(self._config["utc_offset_hours"])
        self._tz = SHANGHAI if offset == 8 else timezone(timedelta(hours=offset))
        self._matcher: Any = None  # (nlp, PhraseMatcher), built on first use
        self._ascii_products: re.Pattern[str] | None = None
        self._canonical: dict[str, str] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseEntityExtractor:
        """Creates a new untrained component (see parent class for full docstring)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Reads the product lexicon and stores it with the model.

        The NLU examples are not used: the entities are closed forms that rules find.
        """
        self.products = self._read_configured_lexicon()
        self._matcher = None
        self.persist()
        return self._resource

    def _read_configured_lexicon(self) -> list[str]:
        path_value = self._config.get("products_path")
        if not path_value:
            return []
        path = Path(str(path_value))
        if not path.is_file():
            logger.warning("%s: product lexicon %s not found", self.name, path)
            return []
        return read_lexicon(path)

    def persist(self) -> None:
        """Writes the product lexicon to the model storage."""
        with self._model_storage.write_to(self._resource) as directory:
            target = directory / self.LEXICON_FILE
            target.write_text(json.dumps(self.products, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ChineseEntityExtractor:
        """Restores the lexicon from the model storage (see parent class for docstring)."""
        try:
            with model_storage.read_from(resource) as directory:
                raw = (directory / cls.LEXICON_FILE).read_text(encoding="utf-8")
                products = [str(word) for word in json.loads(raw)]
        except (ValueError, FileNotFoundError):
            logger.warning(
                "%s: no stored lexicon in resource '%s'; reading products_path instead",
                cls.__name__,
                resource.name,
            )
            component = cls(config, model_storage, resource)
            component.products = component._read_configured_lexicon()
            return component
        component = cls(config, model_storage, resource, products=products)
        if component.products:
            component._build_matchers()  # now, at server start, not on the first message
        return component

    def _build_matchers(self) -> None:
        """Builds the spaCy pipeline and matchers (imports spaCy and jieba only now)."""
        import jieba
        import spacy
        from spacy.matcher import PhraseMatcher

        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        cjk = [w for w in self.products if not w.isascii()]
        ascii_words = [w for w in self.products if w.isascii()]
        # A private jieba instance that knows the product words keeps 电饭煲 whole without
        # changing the global jieba that Rasa's JiebaTokenizer segments training data with.
        segmenter = jieba.Tokenizer()
        for word in cjk:
            segmenter.add_word(normalize_width(word).lower())
        if hasattr(nlp.tokenizer, "jieba_seg"):
            nlp.tokenizer.jieba_seg = _DictionarySegmenter(segmenter)
        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._canonical = {}
        for word in cjk:
            key = normalize_width(word).lower()
            self._canonical[key] = word
            matcher.add(PRODUCT, [nlp.make_doc(key)])
        for word in ascii_words:
            self._canonical[" ".join(word.lower().split())] = word
        self._ascii_products = None
        if ascii_words:
            alternatives = sorted(
                (r"\s*".join(re.escape(part) for part in w.split()) for w in ascii_words),
                key=len,
                reverse=True,
            )
            # ASCII names match case-insensitively and also glued to a model number
            # (iPhone15), which jieba keeps as one token the PhraseMatcher cannot see into.
            self._ascii_products = re.compile(
                rf"(?<![A-Za-z])(?:{'|'.join(alternatives)})(?![A-Za-z])", re.IGNORECASE
            )
        self._matcher = (nlp, matcher)

    def find_products(self, norm: str) -> list[dict[str, Any]]:
        """Product words in a width-normalised text; the value is the lexicon spelling."""
        if not self.products:
            return []
        if self._matcher is None:
            self._build_matchers()
        nlp, matcher = self._matcher
        found = []
        doc = nlp.make_doc(norm)
        if doc.text == norm:  # offsets below are only valid on an identical text
            for _, start, end in matcher(doc):
                span = doc[start:end]
                value = self._canonical.get(span.text, span.text)
                found.append(_span(PRODUCT, span.start_char, span.end_char, value))
        if self._ascii_products is not None:
            for m in self._ascii_products.finditer(norm):
                key = " ".join(m.group().lower().split())
                found.append(_span(PRODUCT, m.start(), m.end(), self._canonical.get(key, key)))
        return found

    def extract(self, text: str, now: datetime) -> list[dict[str, Any]]:
        """All entities in ``text``, with ``text[start:end]`` exactly what was typed.

        Args:
            text: The message text.
            now: Reference time for relative dates.

        Returns:
            Non-overlapping entity dicts in text order, without the extractor name.
        """
        if not text:
            return []
        wanted = set(self._config["entities"])
        norm = normalize_width(text)
        # Order numbers and phones are found even when not wanted, so that their digits are
        # never read as an amount or a date.
        spans = [_span(ORDER_ID, o.start, o.end, o.value) for o in find_order_ids(text)]
        spans += [_span(PHONE, p.start, p.end, p.value) for p in find_phones(text)]
        if DATE in wanted:
            spans += [_span(DATE, d.start, d.end, d.iso) for d in find_dates(text, now, self._tz)]
        if AMOUNT in wanted:
            spans += [_span(AMOUNT, a.start, a.end, a.value) for a in find_amounts(text)]
        if PRODUCT in wanted:
            spans += self.find_products(norm)
        return [
            s for s in _resolve_overlaps(spans, len(text)) if s[ENTITY_ATTRIBUTE_TYPE] in wanted
        ]

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the entities found in each message's text to its ``entities``."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            entities = self.add_extractor_name(self.extract(text, reference_time(message)))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
