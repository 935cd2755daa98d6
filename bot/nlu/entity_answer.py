"""Rasa component reading a message that is nothing but an identifier as an answer.

A customer asked for a phone number often replies with the bare number: 「13302535350」. Such a
message has no words for the classifiers to weigh, only digits, and digits are also what a
survey rating looks like (「5」). The two classifiers can then split the message between
``inform`` and ``rate`` so evenly that the ``FallbackClassifier`` calls it ambiguous, the turn
falls back, the fallback reverts the message, and the number the customer gave is lost.

When every character outside the extracted identifier entities is punctuation, space or emoji,
there is nothing left to be ambiguous about: this component sets the intent to the one
configured for those entities (``inform`` by default) at full confidence. It runs after the
classifiers and before the ``FallbackClassifier``, and changes nothing on any other message.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

# Unicode categories that carry content: letters, digits, and Chinese (category Lo).
_CONTENT_CATEGORIES = ("L", "N")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EntityAnswerClassifier(GraphComponent):
    """Sets the intent of identifier-only messages (a bare phone or order number)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults; both can be set in config.yml."""
        return {
            # Entities that, alone in a message, answer a question of the bot. Only identifiers
            # whose pattern nothing else shares: a bare amount or date could as well be a
            # rating (「5」) or the start of a complaint (「三天了」).
            "entities": ["order_id", "phone"],
            # The intent such a message gets: the complaint form reads an answer to its
            # question from `inform` (actions/complaint_form.py), and rules treat it as one.
            "intent": "inform",
        }

    def __init__(self, config: dict[str, Any]) -> None:
        """Checks the configuration.

        Args:
            config: The component's configuration (defaults merged with config.yml).

        Raises:
            InvalidConfigException: If no entity or no intent is configured.
        """
        self._entities = frozenset(config.get("entities") or ())
        self._intent = str(config.get("intent") or "")
        if not self._entities or not self._intent:
            raise InvalidConfigException(
                f"{type(self).__name__} needs at least one entity and an intent."
            )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityAnswerClassifier:
        """Creates the component (nothing to train or persist)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the configured intent on messages made only of identifier entities.

        Args:
            messages: Parsed messages, with the classifiers' intents and the entities.

        Returns:
            The same messages; identifier-only ones carry the configured intent.
        """
        for message in messages:
            if is_identifier_only(message, self._entities):
                self._set_intent(message)
        return messages

    def _set_intent(self, message: Message) -> None:
        # The classifiers' other guesses stay in the ranking, below the decided intent, so the
        # trainer's inbox still shows what they made of the message.
        decided = {INTENT_NAME_KEY: self._intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) != self._intent
        ]
        message.set(INTENT, decided, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [decided, *ranking], add_to_output=True)


def is_identifier_only(message: Message, entity_types: frozenset[str]) -> bool:
    """Whether the message holds one of ``entity_types`` and no other content.

    Args:
        message: A message whose entities carry character offsets into its text.
        entity_types: Entity types that count as identifiers.

    Returns:
        True if at least one such entity was found and every character outside those entities
        is punctuation, a symbol (emoji) or space.
    """
    text: str = message.get(TEXT) or ""
    spans = [
        (int(e[ENTITY_ATTRIBUTE_START]), int(e[ENTITY_ATTRIBUTE_END]))
        for e in message.get(ENTITIES) or []
        if e.get(ENTITY_ATTRIBUTE_TYPE) in entity_types
        and ENTITY_ATTRIBUTE_START in e
        and ENTITY_ATTRIBUTE_END in e
    ]
    if not spans:
        return False
    covered = [False] * len(text)
    for start, end in spans:
        for index in range(max(start, 0), min(end, len(text))):
            covered[index] = True
    return not any(
        unicodedata.category(char).startswith(_CONTENT_CATEGORIES)
        for char, inside in zip(text, covered, strict=True)
        if not inside
    )
