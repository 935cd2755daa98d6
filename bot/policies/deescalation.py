"""The service playbook as a Rasa policy: listen to the upset, offer a person, never push.

Rules and the form handle the calm path. This policy steps in only where the playbook
(DESIGN.md §2) says a good agent would behave differently, and then outranks them:

* a threat to escalate outside (12315, 媒体, 律师 …) or 「转人工」 → hand off at once;
* ``upset_turns_before_offer`` upset turns in a row, or ``fallbacks_before_offer`` messages the
  bot did not understand → offer a person (once);
* strong anger (intensity ≥ ``vent_intensity``) during a complaint → acknowledge and invite the
  customer to say everything, and *listen* — the form's next question waits a turn;
* the answer to an offer: yes → hand off; no → carry on where the form was; anything else
  (the customer ignores the offer and goes on) → back to the form at once;
* a ticket that could not be stored (``ticket_unsaved``, database down) is submitted again at
  the customer's next message, whatever it says, and the bot then listens.

It decides from the tracker alone: the emotion slots that ``action_track_emotion`` sets after
every message (so Rasa test stories can state them with ``slot_was_set``), the latest intent
and the recent actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

ACKNOWLEDGE = "action_acknowledge"
OFFER_HANDOFF = "action_offer_handoff"
HANDOFF = "action_handoff"
CONTINUE = "utter_continue_after_offer"
COMPLAINT_FORM = "complaint_form"
SUBMIT = "action_submit_complaint"
NEGATIVE = frozenset({"anger", "anxiety", "sadness"})
YES = frozenset({"affirm", "request_human"})


@dataclass(frozen=True)
class Turn:
    """What the policy needs to know about the conversation right now."""

    latest_action: str | None
    intent: str
    previous_bot_action: str | None
    emotion: str | None
    intensity: float
    upset_turns: float
    threat_now: bool
    handoff_offered: bool
    active_loop: str | None
    fallbacks_in_a_row: int
    pending_complaint: bool
    ticket_unsaved: bool = False


def _turn(tracker: DialogueStateTracker) -> Turn:
    events = list(tracker.events)
    last_user = next(
        (i for i in range(len(events) - 1, -1, -1) if isinstance(events[i], UserUttered)), None
    )
    since_user = events[last_user + 1 :] if last_user is not None else []
    before_user = events[:last_user] if last_user is not None else events
    previous_bot_action = next(
        (
            e.action_name
            for e in reversed(before_user)
            if isinstance(e, ActionExecuted) and e.action_name != ACTION_LISTEN_NAME
        ),
        None,
    )
    intents = [e.intent_name for e in events if isinstance(e, UserUttered)]
    fallbacks = 0
    for name in reversed(intents):
        if name != "nlu_fallback":
            break
        fallbacks += 1
    acted = [
        i
        for i, e in enumerate(events)
        if isinstance(e, ActionExecuted) and e.action_name != ACTION_EXTRACT_SLOTS
    ]
    # A message logged after the last action (a paused conversation logs messages without
    # ever listening) is a new turn: read it as if the bot had been listening.
    heard_since = last_user is not None and (not acted or last_user > acted[-1])
    return Turn(
        latest_action=ACTION_LISTEN_NAME if heard_since else tracker.latest_action_name,
        intent=(tracker.latest_message.intent or {}).get("name") or ""
        if tracker.latest_message
        else "",
        previous_bot_action=previous_bot_action,
        emotion=tracker.get_slot("emotion"),
        intensity=float(tracker.get_slot("emotion_intensity") or 1),
        upset_turns=float(tracker.get_slot("upset_turns") or 0),
        threat_now=any(
            isinstance(e, SlotSet) and e.key == "threat" and e.value for e in since_user
        ),
        handoff_offered=bool(tracker.get_slot("handoff_offered")),
        active_loop=tracker.active_loop_name,
        fallbacks_in_a_row=fallbacks,
        pending_complaint=bool(tracker.get_slot("complaint_description")),
        ticket_unsaved=bool(tracker.get_slot("ticket_unsaved")),
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class DeescalationPolicy(Policy):
    """Overrides the next action where the service playbook demands it."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Thresholds of the playbook; all can be set in config.yml."""
        return {
            # Above RulePolicy (6): when the playbook and a rule disagree, the playbook wins.
            "priority": 7,
            # Upset turns in a row (negative emotion, intensity ≥ 2) before a person is offered.
            "upset_turns_before_offer": 2,
            # Messages in a row the NLU could not understand before a person is offered.
            "fallbacks_before_offer": 2,
            # From this intensity on, a negative message is answered by listening, not asking.
            "vent_intensity": 3,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        """Create the policy from its config (no featurizer is used)."""
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.upset_turns_before_offer = int(config["upset_turns_before_offer"])
        self.fallbacks_before_offer = int(config["fallbacks_before_offer"])
        self.vent_intensity = float(config["vent_intensity"])

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Nothing to learn: the playbook is written down, not inferred from stories."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Predict the playbook's action with certainty, or abstain with all zeros."""
        action = self.decide(_turn(tracker))
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(self._default_predictions(domain))
        # "No user" so that the active form's own prediction does not outrank this one.
        return self._prediction(
            confidence_scores_for(action, 1.0, domain), is_no_user_prediction=True
        )

    def _venting(self, turn: Turn) -> bool:
        return turn.emotion in NEGATIVE and turn.intensity >= self.vent_intensity

    def decide(self, turn: Turn) -> str | None:
        """The playbook as a decision list, most urgent first; None leaves it to the others."""
        if turn.latest_action == HANDOFF or turn.latest_action == OFFER_HANDOFF:
            return ACTION_LISTEN_NAME
        if turn.latest_action == ACKNOWLEDGE:
            # After a strong outburst the next form question waits: just listen.
            return ACTION_LISTEN_NAME if self._venting(turn) else None
        if turn.latest_action == CONTINUE:
            return self._resume(turn) or ACTION_LISTEN_NAME
        if turn.latest_action == SUBMIT:
            # Saved or not, the customer has been told; a retried submission is in no rule.
            return ACTION_LISTEN_NAME
        if turn.latest_action != ACTION_LISTEN_NAME or not turn.intent:
            return None
        if turn.previous_bot_action == OFFER_HANDOFF:
            if turn.intent in YES:
                return HANDOFF
            if turn.intent == "deny":
                return CONTINUE
            if not turn.threat_now and (form := self._resume(turn)):
                # Neither yes nor no: the customer carries on with the complaint, and so does
                # the bot — otherwise the complaint heard so far was never taken up again.
                return form
        if turn.intent == "request_human" or turn.threat_now:
            return HANDOFF
        if turn.ticket_unsaved:
            return SUBMIT
        if turn.fallbacks_in_a_row >= self.fallbacks_before_offer and not turn.handoff_offered:
            return OFFER_HANDOFF
        if turn.upset_turns >= self.upset_turns_before_offer and not turn.handoff_offered:
            return OFFER_HANDOFF
        complaint = turn.intent.startswith("complain_") or turn.active_loop == COMPLAINT_FORM
        if (complaint or turn.pending_complaint) and self._venting(turn):
            return ACKNOWLEDGE
        if turn.previous_bot_action == ACKNOWLEDGE and not turn.intent.startswith("complain_"):
            # The customer has vented and now answers calmly: take up the complaint form.
            return self._resume(turn)
        return None

    @staticmethod
    def _resume(turn: Turn) -> str | None:
        """The form to go back to: the active one, or the complaint recorded while listening."""
        if turn.active_loop:
            return turn.active_loop
        return COMPLAINT_FORM if turn.pending_complaint else None
