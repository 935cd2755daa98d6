"""Jieba tokenizer that sees normalised text but keeps offsets into the original message."""

from __future__ import annotations

import glob
import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalize import normalize

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class ChineseTokenizer(JiebaTokenizer):
    """Rasa's JiebaTokenizer, on Simplified half-width text with repeated punctuation collapsed.

    Customers write Traditional characters (HK/TW keyboards), full-width letters and digits, and
    「！！！」; the same complaint should give the same tokens either way. Normalisation is
    length-preserving (see ``bot.nlu.normalize``), so each token's ``start``/``end`` still
    index the original text, which the message keeps unchanged.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Same options as JiebaTokenizer; ``dictionary_path`` is a folder of ``*.txt`` files."""
        return JiebaTokenizer.get_default_config()

    @staticmethod
    def required_packages() -> list[str]:
        """Jieba segments, OpenCC converts Traditional to Simplified."""
        return ["jieba", "opencc"]

    @staticmethod
    def _load_custom_dictionary(path: str) -> None:
        """Load every ``*.txt`` user dictionary in ``path`` (other files there are ignored)."""
        import jieba

        for user_dict in sorted(glob.glob(f"{path}/*.txt")):
            logger.info("Loading jieba user dictionary %s", user_dict)
            jieba.load_userdict(user_dict)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenize the normalised text; whitespace (incl. blanked punctuation) is dropped."""
        import jieba

        text = message.get(attribute) or ""
        tokens = [
            Token(word, start) for word, start, _ in jieba.tokenize(normalize(text)) if word.strip()
        ]
        return self._apply_token_pattern(tokens)
