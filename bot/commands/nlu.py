"""``python -m bot nlu inbox | label | export``: the trainer's loop on the command line.

``inbox`` pulls the messages the NLU was unsure about from Rasa's tracker store into the
trainer's inbox (tickets database) and lists them; ``label`` records the right intent (and
emotion); ``export`` appends the labelled messages to the NLU training data, after which
``make train`` learns from them.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.commands import Subparsers
from bot.settings import PROJECT_ROOT

#: Same names as ``bot.store.models.EMOTIONS`` (kept here so ``--help`` does not import
#: SQLAlchemy; a test checks they agree).
EMOTIONS = ("anger", "anxiety", "sadness", "neutral", "positive")

#: Rasa's own default when config.yml has no ``FallbackClassifier`` threshold.
RASA_DEFAULT_FALLBACK_THRESHOLD = 0.3

#: Most uncertain messages one sync reads from the tracker store.
SYNC_LIMIT = 5000

#: Stand-ins for personal numbers in exported training examples: the examples keep the shape
#: of a real message (the phone regex still has something to learn from) without storing a
#: customer's number in the repository.
FAKE_MOBILE = "13800000000"
FAKE_ID_NUMBER = "110101190001010000"
FAKE_LANDLINE_LOCAL = "00000000"

EXPORT_HEADER = (
    'version: "3.1"\n\n'
    "# Real customer messages labelled in the trainer's inbox (python -m bot nlu export).\n"
    "# Phone and ID numbers are replaced by fixed fake numbers; everything else is verbatim.\n\n"
    "nlu:\n"
)

# What bot.privacy.mask_text leaves of a number, so that the same detection decides both
# what is masked on screen and what is replaced in the training data.
_MASKED_ID = re.compile(r"(?<![\d*])[1-9]\d{5}\*{8}\d{3}[\dXx](?![\d*])")
_MASKED_MOBILE = re.compile(r"(?<![\d*])1[3-9]\d\*{4}\d{4}(?![\d*])")
_MASKED_LANDLINE = re.compile(r"(?<![\d*])(\(?0\d{2,3}\)?[ -]?)\*{3,4}\d{4}(?![\d*])")
# Rasa's entity annotation: [text](entity), [text]{"entity": ...}, [text][{...}].
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+?)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
# A customer's "[图片](1)" must stay text, not become an entity: a space breaks the syntax.
_ANNOTATION_JOIN = re.compile(r"\](?=[({\[])")


def register(subparsers: Subparsers) -> None:
    """Add the ``nlu`` command."""
    parser = subparsers.add_parser(
        "nlu", help="trainer's inbox: label uncertain messages, export them as training data"
    )
    actions = parser.add_subparsers(dest="nlu_action", metavar="ACTION", required=True)

    inbox = actions.add_parser(
        "inbox",
        help="sync uncertain messages from the tracker store and list the unlabelled ones",
        description="Phone and ID numbers are masked in the listing.",
    )
    inbox.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    inbox.add_argument("--all", action="store_true", help="show labelled messages too")
    inbox.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="confidence below which a message is uncertain "
        "(default: the FallbackClassifier threshold in config.yml)",
    )
    inbox.add_argument(
        "--rescan",
        action="store_true",
        help="scan the whole tracker store, not only messages newer than the last sync "
        "(use after changing --threshold)",
    )
    inbox.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    inbox.set_defaults(handler=_inbox)

    label = actions.add_parser("label", help="record the correct intent of an inbox message")
    label.add_argument("id", type=int, help="inbox id (first column of `nlu inbox`)")
    label.add_argument("intent", help="an intent of domain.yml")
    label.add_argument("--emotion", choices=EMOTIONS, help="the customer's emotion")
    label.add_argument("--by", default="cli", help="who labels (default: cli)")
    label.add_argument("--domain", type=Path, default=PROJECT_ROOT / "domain.yml")
    label.set_defaults(handler=_label)

    export = actions.add_parser(
        "export",
        help="append labelled messages to the NLU training data",
        description="Appends labelled, not yet exported messages as Rasa YAML examples grouped "
        "by intent, skipping any already in the training data. Training examples keep the "
        f"customer's real words, except that phone numbers become {FAKE_MOBILE} (landlines "
        f"keep their area code) and ID numbers {FAKE_ID_NUMBER}, so that no personal data "
        "lands in the repository.",
    )
    export.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "data" / "nlu" / "inbox.yml",
        help="YAML file to append to (default data/nlu/inbox.yml)",
    )  # fmt: skip
    export.add_argument(
        "--nlu-dir", type=Path, default=PROJECT_ROOT / "data" / "nlu",
        help="training data whose examples are not exported again (default data/nlu)",
    )  # fmt: skip
    export.set_defaults(handler=_export)


# --- project files ----------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    import yaml

    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def fallback_threshold(config_path: Path) -> float:
    """Return the ``FallbackClassifier`` threshold of a Rasa config (Rasa's default if unset)."""
    config = _read_yaml(config_path) or {}
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", RASA_DEFAULT_FALLBACK_THRESHOLD))
    return RASA_DEFAULT_FALLBACK_THRESHOLD


def domain_intents(domain_path: Path) -> set[str]:
    """Return the intents of a Rasa domain file, or of every YAML file in a domain folder."""
    paths = sorted(domain_path.rglob("*.yml")) if domain_path.is_dir() else [domain_path]
    intents: set[str] = set()
    for path in paths:
        for entry in (_read_yaml(path) or {}).get("intents") or []:
            # An intent is a bare name or a one-key mapping with its options.
            intents.update([entry] if isinstance(entry, str) else list(entry))
    return intents


# --- training examples ------------------------------------------------------------------


def pseudonymise(text: str) -> str:
    """Replace phone and ID numbers in ``text`` by fixed fake ones (see ``FAKE_MOBILE``)."""
    from bot.privacy import mask_text

    masked = mask_text(text) or ""
    masked = _MASKED_ID.sub(FAKE_ID_NUMBER, masked)
    masked = _MASKED_MOBILE.sub(FAKE_MOBILE, masked)
    return _MASKED_LANDLINE.sub(lambda m: m.group(1) + FAKE_LANDLINE_LOCAL, masked)


def example_text(text: str) -> str:
    """Return ``text`` as one line of a Rasa YAML ``examples`` block."""
    printable = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return _ANNOTATION_JOIN.sub("] ", " ".join(pseudonymise(printable).split()))


def normalise(example: str) -> str:
    """Return the form under which two examples count as the same.

    Entity annotations are reduced to their text, width variants unified (NFKC), case and
    all whitespace dropped: 「订单号 [123](order_id)！」 equals 「订单号123!」.
    """
    plain = unicodedata.normalize("NFKC", _ANNOTATION.sub(r"\g<text>", example))
    return "".join(plain.split()).casefold()


def _examples_of(document: Any) -> Iterable[str]:
    if not isinstance(document, dict):
        return
    for item in document.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        examples = item.get("examples") or ""
        if isinstance(examples, str):
            for line in examples.splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield line[2:]
        else:
            # The long form: a list of {text: ..., metadata: ...}.
            for entry in examples:
                yield str(entry.get("text", "")) if isinstance(entry, dict) else str(entry)


def known_examples(paths: Iterable[Path]) -> set[str]:
    """Return the normalised intent examples of the given Rasa YAML NLU files."""
    known: set[str] = set()
    for path in paths:
        if path.is_file():
            known.update(normalise(example) for example in _examples_of(_read_yaml(path)))
    return known


def _nlu_files(folder: Path) -> list[Path]:
    return sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]) if folder.is_dir() else []


def append_examples(path: Path, by_intent: dict[str, list[str]]) -> None:
    """Append intent blocks to a Rasa YAML NLU file, creating it with a header if needed.

    Appending (rather than rewriting) keeps trainers' edits and comments in the file and
    gives small diffs; Rasa merges several blocks of the same intent.

    Raises:
        ValueError: The file exists but does not end with the ``nlu:`` list.
    """
    lines = []
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in by_intent[intent]]
    block = "\n".join(lines) + "\n"
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(EXPORT_HEADER + block, encoding="utf-8")
        return
    import yaml

    current = path.read_text(encoding="utf-8")
    combined = current + ("" if current.endswith("\n") else "\n") + block
    # Appending is only right when the file ends inside its block-style nlu: list; check by
    # parsing the result rather than trusting the file's layout.
    try:
        before = yaml.safe_load(current)
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not valid YAML ({error}); choose another --out") from error
    try:
        after = yaml.safe_load(combined)
    except yaml.YAMLError:
        after = None
    blocks = len(by_intent)
    if not (
        isinstance(before, dict)
        and isinstance(after, dict)
        and list(after)[-1:] == ["nlu"]
        and len(after["nlu"] or []) == len(before.get("nlu") or []) + blocks
    ):
        raise ValueError(f"{path} does not end with an nlu: list; choose another --out")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(combined[len(current) :])


# --- handlers ---------------------------------------------------------------------------


def _prepare_database() -> str:
    from bot.settings import get_settings
    from bot.store.migrate import upgrade

    url = get_settings().database_url
    upgrade(url)
    return url


async def _sync_and_list(
    url: str, threshold: float, rescan: bool, unlabelled_only: bool, limit: int
) -> tuple[int | None, list[Any]]:
    from bot.settings import get_settings
    from bot.store.db import make_engine, make_sessionmaker, sqlite_file
    from bot.store.nlu_inbox import list_inbox, newest_synced_at, sync_inbox
    from bot.store.transcripts import uncertain_messages

    tracker_url = get_settings().tracker_db_url
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            added: int | None = None
            tracker_file = sqlite_file(tracker_url)
            # A missing SQLite file means Rasa never stored a conversation: do not create it.
            if tracker_file is None or tracker_file.exists():
                since = None if rescan else await newest_synced_at(session)
                tracker = make_engine(tracker_url)
                try:
                    messages = await uncertain_messages(tracker, threshold, since, SYNC_LIMIT)
                finally:
                    await tracker.dispose()
                added = await sync_inbox(session, messages)
            rows = await list_inbox(session, unlabelled_only=unlabelled_only, limit=limit)
            return added, rows
    finally:
        await engine.dispose()


def _inbox(args: argparse.Namespace) -> int:
    from bot.privacy import mask_text

    if not 1 <= args.limit <= 1000:
        print("error: --limit must be between 1 and 1000", file=sys.stderr)
        return 2
    threshold = args.threshold if args.threshold is not None else fallback_threshold(args.config)
    url = _prepare_database()
    added, rows = asyncio.run(_sync_and_list(url, threshold, args.rescan, not args.all, args.limit))
    if added is None:
        print("No tracker store yet (no conversations); nothing to sync.", file=sys.stderr)
    else:
        print(f"Synced {added} new message(s) below confidence {threshold:.2f}.", file=sys.stderr)
    if not rows:
        print("The inbox is empty." if args.all else "No unlabelled messages.")
        return 0
    label_column = f" {'LABEL':<18}" if args.all else ""
    print(f"{'ID':>6}  {'TIME (UTC)':<16}  {'CONF':>4}  {'PREDICTED':<18}{label_column} TEXT")
    for row in rows:
        when = row.message_at or row.created_at
        confidence = f"{row.confidence:.2f}" if row.confidence is not None else "-"
        text = " ".join((mask_text(row.text) or "").split())
        labelled = f" {row.label_intent or '-':<18}" if args.all else ""
        print(
            f"{row.id:>6}  {when:%Y-%m-%d %H:%M}  {confidence:>4}  "
            f"{row.predicted_intent or '-':<18}{labelled} {text}"
        )
    return 0


async def _label_async(url: str, args: argparse.Namespace, intents: set[str]) -> Any:
    from bot.store.db import make_engine, make_sessionmaker
    from bot.store.nlu_inbox import label

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await label(
                session, args.id, args.intent, args.emotion, args.by, allowed_intents=intents
            )
    finally:
        await engine.dispose()


def _label(args: argparse.Namespace) -> int:
    from bot.store.nlu_inbox import LabelNotFoundError

    intents = domain_intents(args.domain)
    if args.intent not in intents:
        print(
            f"error: unknown intent {args.intent!r}. Valid intents: {', '.join(sorted(intents))}",
            file=sys.stderr,
        )
        return 2
    try:
        row = asyncio.run(_label_async(_prepare_database(), args, intents))
    except LabelNotFoundError as error:
        print(f"error: {error} (see `python -m bot nlu inbox --all`)", file=sys.stderr)
        return 1
    emotion = f", emotion {row.label_emotion}" if row.label_emotion else ""
    print(f"Labelled {row.id} as {row.label_intent}{emotion}.")
    return 0


async def _export_async(url: str, out: Path, nlu_dir: Path) -> tuple[int, int]:
    from bot.store.db import make_engine, make_sessionmaker
    from bot.store.nlu_inbox import mark_exported, pending_export

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            pending = await pending_export(session)
            if not pending:
                return 0, 0
            known = known_examples([*_nlu_files(nlu_dir), out])
            by_intent: dict[str, list[str]] = {}
            for row in pending:
                text = example_text(row.text)
                key = normalise(text)
                if not key or key in known:
                    continue
                known.add(key)  # two customers typing the same words: one example
                by_intent.setdefault(row.label_intent, []).append(text)
            written = sum(len(examples) for examples in by_intent.values())
            if written:
                append_examples(out, by_intent)
            # Skipped duplicates count as exported too: they are in the training data.
            await mark_exported(session, [row.id for row in pending])
            return written, len(pending) - written
    finally:
        await engine.dispose()


def _export(args: argparse.Namespace) -> int:
    out: Path = args.out.resolve()
    written, skipped = asyncio.run(_export_async(_prepare_database(), out, args.nlu_dir))
    print(f"Wrote {written} example(s) to {out}; skipped {skipped} already in the training data.")
    return 0
