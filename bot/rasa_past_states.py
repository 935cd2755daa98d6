"""A tracker's past states computed once per prediction, not once per policy call.

Rasa's policies turn the conversation into "states" (the user's intent, the previous action,
slots, the active loop — one per action) by replaying every event of the tracker
(``DialogueStateTracker.past_states``). The rule policy asks twice per prediction with the same
arguments (once to match rules on the message's text, once on its intent), and TED, when it
runs, asks what memoisation already asked: each time the whole history is replayed again,
about 7 % of the Rasa process's cost of a turn.

The tracker now keeps the states of its latest call and hands out copies while nothing has
changed: the same number of events, the same last event, the same domain and arguments. Any
new event (the next action, a slot) changes the key, so the states are computed afresh as
before. The callers change the states they receive (the featuriser drops the text or the
intent of the last user turn), hence the copies: one level deeper than those changes reach.

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

#: Attribute on a ``DialogueStateTracker``: (key, states) of its latest ``past_states`` call.
_KEPT = "_bot_past_states"


def copy_states(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``states`` that the featurisers' in-place changes cannot reach through.

    A state maps a part (``user``, ``prev_action``, ``slots``, ``active_loop``) to a dict of
    features whose values are strings, numbers or tuples; featurisers delete or replace those
    features, never change a value in place.
    """
    return [{part: dict(features) for part, features in state.items()} for state in states]


def _key(tracker: Any, domain: Any, arguments: tuple[Any, ...]) -> tuple[Any, ...]:
    events = tracker.events
    # The last event is kept in the key (not its id), so an id can never be reused by another.
    return (len(events), events[-1] if events else None, domain, *arguments)


def _same(key: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    if len(key) != len(other) or key[0] != other[0]:
        return False
    # Events and domains by identity; the flags and rule-only data (a small dict) by value.
    return key[1] is other[1] and key[2] is other[2] and key[3:] == other[3:]


def _kept_past_states(original: Any) -> Any:
    @functools.wraps(original)
    def past_states(
        self: Any,
        domain: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        key = _key(self, domain, (omit_unset_slots, ignore_rule_only_turns, rule_only_data))
        kept = self.__dict__.get(_KEPT)
        if kept is not None and _same(kept[0], key):
            return copy_states(kept[1])
        states = original(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        # rule_only_data may be changed by its owner later: keep a copy of it in the key.
        frozen = copy.deepcopy(rule_only_data)
        self.__dict__[_KEPT] = (key[:-1] + (frozen,), copy_states(states))
        return states

    return past_states


def apply() -> None:
    """Install the kept past states (once per process)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_patch import patch_method

    patch_method(DialogueStateTracker, "past_states", _kept_past_states)
