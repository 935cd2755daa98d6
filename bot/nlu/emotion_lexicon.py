"""Emotion lexicon: word lists, longest-match scanning and the cues they give.

The lexicon (``data/emotion/lexicon/``) merges DUTIR emotion words (class + intensity 1–9),
HowNet degree adverbs by level, negation words, and hand-written service-chat words, insults
and emoji. ``analyse`` scans a message once and returns every cue the emotion classifier
uses as features and the intensity rule reads: per-emotion word strength after degree
adverbs and negation, punctuation runs, emoji, insults, repetition, shouting.

Pure Python and no Rasa imports, so the data script and the tests can use it cheaply.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.normalize import normalize, punctuation_runs

EMOTIONS = ("anger", "anxiety", "sadness", "neutral", "positive")
# Emotions that words, emoji and intensity cues can point at (neutral is their absence).
POLAR = ("anger", "anxiety", "sadness", "positive")
NEGATIVE = ("anger", "anxiety", "sadness")

# HowNet's six graded levels plus hand-written post-modifiers (「失望透顶」「气死了」).
DEFAULT_DEGREE_WEIGHTS = {
    "extreme": 2.0,
    "very": 1.5,
    "more": 1.25,
    "ish": 0.6,
    "insufficiently": 0.4,
    "over": 1.75,
    "post": 1.8,
}

# A cue only reaches an emotion word inside the same clause: 「不，我很满意」 is not negated.
_CLAUSE_BREAK = set(",.!?;:，。！？；：…~～、\n\r\t ")
# 「啊啊啊啊」「退钱退钱退钱」, and a phrase said again after a mark: 「三次了！三次了！！」.
_REPETITION = re.compile(
    r"([^\s\d!?.,~。，！？…～、])\1{3,}|(\w{2,4})\2{2,}|(\w{2,6})[\s!?.,，。！？]+\3"
)
_SHOUTING = re.compile(r"[A-Z]{3,}")
# Words that strengthen or weaken by kind; the order of preference when one string is both.
_KIND_PRIORITY = {"insult": 0, "emo": 1, "neg": 2, "emoji": 3, "deg": 4}


@dataclass(frozen=True)
class Entry:
    """One lexicon word: ``kind`` is emo|deg|neg|insult|emoji; ``value`` is its strength."""

    kind: str
    label: str
    value: float


@dataclass
class Analysis:
    """Every lexical cue found in one message."""

    sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(POLAR, 0.0))
    peaks: dict[str, float] = field(default_factory=lambda: dict.fromkeys(POLAR, 0.0))
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POLAR, 0))
    emoji: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POLAR, 0))
    negated_negative: float = 0.0
    negated_positive: float = 0.0
    intensified: int = 0
    insults: int = 0
    exclamation: int = 0
    question: int = 0
    # Resignation (「算了」「好吧」「懒得」): low arousal, so it damps intensity.
    resigned: bool = False
    exclamation_runs: int = 0
    repetition: bool = False
    shouting: bool = False
    length: int = 0


class Lexicon:
    """Merged word lists with a longest-match scanner.

    Args:
        entries: word → ``Entry``.
        degree_weights: multiplier per degree level name.
        window: how many characters before an emotion word a negation or degree word may start.
        negated_positive_factor: how much of a negated positive word (「不满意」) counts as anger.
    """

    def __init__(
        self,
        entries: Mapping[str, Entry],
        degree_weights: Mapping[str, float] | None = None,
        window: int = 4,
        negated_positive_factor: float = 0.8,
    ) -> None:
        self.entries = dict(entries)
        self.degree_weights = {**DEFAULT_DEGREE_WEIGHTS, **(degree_weights or {})}
        self.window = window
        self.negated_positive_factor = negated_positive_factor
        self.max_len = max((len(word) for word in self.entries), default=1)

    # --- building -------------------------------------------------------------------------

    @classmethod
    def from_dir(cls, path: str | Path, **options: Any) -> Lexicon:
        """Read the lexicon folder written by ``python -m bot.nlu.emotion_data``."""
        folder = Path(path)
        entries: dict[str, Entry] = {}

        def put(word: str, entry: Entry) -> None:
            word = normalize(word.strip())
            if not word:
                return
            old = entries.get(word)
            if old is None or _KIND_PRIORITY[entry.kind] <= _KIND_PRIORITY[old.kind]:
                entries[word] = entry

        for name in ("degree.tsv", "degree_post.tsv"):
            for word, level in _rows(folder / name):
                put(word, Entry("deg", level, 0.0))
        for (word,) in _rows(folder / "negation.txt"):
            put(word, Entry("neg", "", 1.0))
        for word, _ in _rows(folder / "weak_negation.tsv"):
            # 「不大」「不怎么」: negation that also softens (HowNet lists them as 欠 degree).
            put(word, Entry("neg", "weak", 0.5))
        for token, label in _rows(folder / "emoji.tsv"):
            put(token, Entry("emoji", label, 1.0))
        # Hand-written service words come last so that they override DUTIR's class.
        for name in ("dutir.tsv", "service_words.tsv"):
            for word, label, intensity, *_ in _rows(folder / name):
                put(word, Entry("emo", label, int(intensity) / 9))
        for (word,) in _rows(folder / "insults.txt"):
            put(word, Entry("insult", "anger", 1.0))
        return cls(entries, **options)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, so a trained model does not depend on files in the project."""
        return {
            "entries": {w: [e.kind, e.label, e.value] for w, e in self.entries.items()},
            "degree_weights": self.degree_weights,
            "window": self.window,
            "negated_positive_factor": self.negated_positive_factor,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lexicon:
        """Inverse of ``to_dict``."""
        entries = {w: Entry(k, label, float(v)) for w, (k, label, v) in data["entries"].items()}
        return cls(
            entries,
            degree_weights=data["degree_weights"],
            window=int(data["window"]),
            negated_positive_factor=float(data["negated_positive_factor"]),
        )

    # --- scanning -------------------------------------------------------------------------

    def scan(self, text: str) -> list[tuple[int, int, Entry]]:
        """Longest match, left to right, on already normalised text."""
        found = []
        i, n = 0, len(text)
        while i < n:
            for size in range(min(self.max_len, n - i), 0, -1):
                entry = self.entries.get(text[i : i + size])
                if entry is not None:
                    found.append((i, i + size, entry))
                    i += size
                    break
            else:
                i += 1
        return found

    def analyse(self, original: str) -> Analysis:
        """All cues of one message (the customer's original text)."""
        original = clean_text(original)
        text = normalize(original)
        result = Analysis(length=len(text))
        runs = punctuation_runs(original)
        result.exclamation, result.question = runs["exclamation"], runs["question"]
        result.exclamation_runs = len(re.findall(r"[!！]{2,}", original))
        result.repetition = bool(_REPETITION.search(text))
        result.shouting = bool(_SHOUTING.search(text))
        found = self.scan(text)
        for index, (_, _, entry) in enumerate(found):
            if entry.kind == "emoji":
                result.emoji[entry.label] = result.emoji.get(entry.label, 0) + 1
            elif entry.kind == "insult":
                result.insults += 1
            elif entry.kind == "emo" and entry.label == "resigned":
                result.resigned = True
            elif entry.kind == "emo" and entry.label in POLAR:
                self._score_word(text, found, index, result)
        return result

    def _score_word(
        self, text: str, found: list[tuple[int, int, Entry]], index: int, result: Analysis
    ) -> None:
        start, end, entry = found[index]
        negations, weak, degree, degree_after_negation = 0, False, 1.0, False
        # Walk back over the cues just before the word, inside the window and the clause.
        for prev_start, prev_end, prev in reversed(found[:index]):
            if start - prev_start > self.window or _CLAUSE_BREAK & set(text[prev_end:start]):
                break
            if prev.kind == "neg":
                negations += 1
                weak = weak or prev.label == "weak"
            elif prev.kind == "deg" and degree == 1.0:
                degree = self.degree_weights.get(prev.label, 1.0)
                degree_after_negation = negations == 0  # seen first walking back = nearer
        # Post-modifiers right after the word: 「失望透顶」「满意极了」「气死了」.
        if index + 1 < len(found):
            nxt_start, _, nxt = found[index + 1]
            if nxt.kind == "deg" and nxt.label == "post" and nxt_start - end <= 1:
                degree = max(degree, self.degree_weights["post"])
        negated = negations % 2 == 1
        if negated and (weak or (degree_after_negation and degree > 1.0)):
            # 「不太满意」「不是很生气」: a negated strong word is a mild one.
            degree = 0.5
        strength = entry.value * degree
        if degree > 1.0:
            result.intensified += 1
        if not negated:
            label = entry.label
        elif entry.label == "positive":
            # 「不满意」「不靠谱」: in complaint chat a negated good word is dissatisfaction.
            result.negated_positive += strength
            label, strength = "anger", strength * self.negated_positive_factor
        else:
            # 「不生气」「不担心」: the emotion is denied; only a feature, no emotion score.
            result.negated_negative += strength
            return
        result.sums[label] += strength
        result.peaks[label] = max(result.peaks[label], strength)
        result.hits[label] += 1


def clean_text(text: object) -> str:
    """A str every library downstream accepts: lone surrogates (which make OpenCC raise) go."""
    if not isinstance(text, str):
        return ""
    return text.encode("utf-8", "ignore").decode("utf-8")


def features(analysis: Analysis, threat: bool) -> list[float]:
    """Dense feature vector (roughly 0–2 each) appended to the character n-grams."""
    a = analysis
    vector = [math.log1p(a.sums[k]) for k in POLAR]
    vector += [a.peaks[k] for k in POLAR]
    vector += [min(a.emoji.get(k, 0), 3) / 3 for k in POLAR]
    vector += [
        math.log1p(a.negated_negative),
        math.log1p(a.negated_positive),
        min(a.intensified, 3) / 3,
        min(a.insults, 3) / 3,
        min(a.exclamation, 5) / 5,
        min(a.question, 5) / 5,
        float(a.repetition),
        float(a.shouting),
        float(a.resigned),
        float(threat),
        math.log1p(a.length) / math.log(200),
    ]
    return vector


def intensity_score(analysis: Analysis, label: str, threat: bool) -> float:
    """How strongly ``label`` is expressed: the number the intensity thresholds cut.

    The best emotion word (after degree adverbs, negation and post-modifiers) is the base;
    punctuation runs, emoji, insults, repetition, shouting and threats add to it. Every term
    is non-negative and grows with its cue, so the score is monotone in each cue.
    """
    a = analysis
    if label not in POLAR:
        return 0.0
    base = a.peaks[label]
    if label != "positive":
        # 「好吧，算了，你们太差了」 read as sadness still carries its anger words.
        base = max(base, 0.7 * max(a.peaks[k] for k in NEGATIVE))
    score = base + 0.1 * min(max(a.hits[label] - 1, 0), 2)
    score += {0: 0.0, 1: 0.1, 2: 0.3}.get(a.exclamation, 0.6)
    score += 0.2 if a.exclamation_runs >= 2 else 0.0
    score += 0.25 if a.question >= 2 else 0.0
    score += 0.15 if a.question >= 3 else 0.0
    score += min(0.3 * a.emoji.get(label, 0), 0.6)
    if label == "anger":
        score += min(0.6 * a.insults, 1.0) + (0.5 if threat else 0.0)
    score += 0.3 if a.repetition else 0.0
    score += 0.15 if a.shouting else 0.0
    if a.resigned and a.exclamation < 2:
        score *= 0.7
    return score


def level(score: float, thresholds: Iterable[float]) -> int:
    """Intensity 1–3 from a score and the two cut points."""
    low, high = thresholds
    return 1 + int(score >= low) + int(score >= high)


def _rows(path: Path) -> list[list[str]]:
    """Tab-separated rows of a lexicon file; ``#`` lines and the header row are skipped."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and row[0].strip()]
    return [row for row in rows if not row[0].startswith("#") and row[0] != "word"]
