"""Next-action prediction that runs TED only when its answer can matter.

Rasa asks every policy for every prediction and then lets the ensemble pick: the highest
confidence wins, and a tie goes to the higher priority. A complaint turn makes two or three
predictions (the form, its question, ``action_listen``), and nearly all of them are decided by a
rule or the de-escalation policy at confidence 1.0 — yet TED's transformer ran for each, about a
quarter of the Rasa process's CPU per turn.

A prediction now runs the cheap policies first (rules, memoisation, de-escalation) and hands
their predictions to Rasa's own ensemble with TED's left empty. When the winner is one TED
could not have beaten, that is the answer:

- a "no user" prediction (a form's happy path), which overrules everything and TED never makes;
- a prediction at confidence 1.0 from a policy of higher priority than TED (a tie goes to the
  higher priority, and TED's confidences never exceed 1.0).

TED can overrule both only with an end-to-end prediction, from text in the training stories;
such a TED is always run. In every other case the whole graph runs as before, so the chosen
action, its policy and the events are the same as Rasa's (``tests/test_rasa_prediction.py``
replays the project's stories to check it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

_PLAN = "_bot_prediction_plan"
#: Confidence at which a prediction of a higher-priority policy beats any TED prediction.
CERTAIN = 1.0


@dataclass(frozen=True)
class Plan:
    """How one loaded model's prediction graph splits into cheap and skippable policies."""

    #: The ensemble node (``select_prediction``) and its component.
    target: str
    ensemble: Any
    #: Ensemble argument name → policy node, for the policies that always run.
    cheap: dict[str, str]
    #: Ensemble argument name → (policy name, priority), for the policies that may be skipped.
    skippable: dict[str, tuple[str, int]]

    @property
    def highest_skipped_priority(self) -> int:
        """A certain prediction must come from a policy above all skipped ones."""
        return max(priority for _, priority in self.skippable.values())


def make_plan(graph_runner: Any, target: str) -> Plan | None:
    """Split the prediction graph, or None when nothing can be skipped safely.

    Args:
        graph_runner: The loaded model's ``DaskGraphRunner``.
        target: The core target (the ensemble's node).
    """
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.engine.graph import GraphSchema
    from rasa.shared.nlu.constants import TEXT

    schema: GraphSchema = graph_runner._graph_schema
    nodes = graph_runner._instantiated_nodes
    if target not in schema.nodes or target not in nodes:
        return None
    cheap: dict[str, str] = {}
    skippable: dict[str, tuple[str, int]] = {}
    for argument, node_name in schema.nodes[target].needs.items():
        uses = schema.nodes[node_name].uses if node_name in schema.nodes else None
        if not (isinstance(uses, type) and issubclass(uses, Policy)):
            continue  # the domain and the tracker
        component = getattr(nodes.get(node_name), "_component", None)
        # Only an exact TEDPolicy without end-to-end training is understood well enough here.
        if (
            uses is TEDPolicy
            and component is not None
            and TEXT not in getattr(component, "fake_features", {TEXT: None})
        ):
            skippable[argument] = (uses.__name__, int(component.config["priority"]))
        else:
            cheap[argument] = node_name
    if not skippable or not cheap:
        return None
    ensemble = nodes[target]._component
    return Plan(target, ensemble, cheap, skippable)


def shortcut_prediction(processor: Any, tracker: Any) -> Any | None:
    """The ensemble's prediction from the cheap policies alone, when it is certain; else None.

    Args:
        processor: Rasa's ``MessageProcessor`` with a loaded model.
        tracker: The conversation, as Rasa passes it to the prediction graph.
    """
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.engine.constants import PLACEHOLDER_TRACKER

    plan = _plan(processor)
    if plan is None:
        return None
    results = processor.graph_runner.run(
        inputs={PLACEHOLDER_TRACKER: tracker}, targets=list(plan.cheap.values())
    )
    size = len(processor.domain.action_names_or_texts)
    kwargs: dict[str, Any] = {arg: results[node] for arg, node in plan.cheap.items()}
    for argument, (name, priority) in plan.skippable.items():
        kwargs[argument] = PolicyPrediction([0.0] * size, name, priority)
    winner = plan.ensemble.combine_predictions_from_kwargs(
        tracker=tracker, domain=processor.domain, **kwargs
    )
    skipped_names = {name for name, _ in plan.skippable.values()}
    if winner.policy_name in skipped_names:
        return None
    certain = (
        winner.is_no_user_prediction
        or winner.is_end_to_end_prediction
        or (
            winner.max_confidence >= CERTAIN
            and winner.policy_priority > plan.highest_skipped_priority
        )
    )
    return winner if certain else None


def _plan(processor: Any) -> Plan | None:
    """The plan of the processor's current graph, made once per loaded model."""
    runner = processor.graph_runner
    if hasattr(runner, _PLAN):
        cached: Plan | None = getattr(runner, _PLAN)
        return cached
    plan = None
    try:
        plan = make_plan(runner, processor.model_metadata.core_target)
    except Exception:  # noqa: BLE001 - an unexpected graph: predict the way Rasa does
        logger.warning("prediction shortcut disabled for this model", exc_info=True)
    setattr(runner, _PLAN, plan)
    return plan


def _predicting_cheaply_first(original: Any) -> Any:
    def _predict_next_with_tracker(self: Any, tracker: Any) -> Any:
        if not tracker.followup_action:  # a follow-up action needs no policy at all
            prediction = shortcut_prediction(self, tracker)
            if prediction is not None:
                return prediction
        return original(self, tracker)

    return _predict_next_with_tracker


def apply() -> None:
    """Install the shortcut in Rasa's message processor (once per process)."""
    from rasa.core.processor import MessageProcessor

    from bot.rasa_patch import patch_method

    patch_method(MessageProcessor, "_predict_next_with_tracker", _predicting_cheaply_first)
