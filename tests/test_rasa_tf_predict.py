"""TED's predictions through the traced graph directly (bot/rasa_tf_predict.py) are Rasa's.

The NLU pipeline has no TensorFlow model since the sentence encoder made DIET redundant
(config.yml); the dialogue policy TED still runs through ``RasaModel._rasa_predict``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tensorflow as tf

import bot.channels  # noqa: F401 - importing the channels installs the fixes, as in Rasa
from bot import rasa_tf_predict

# The intent of a customer's first turn: TED's input.
INTENTS = ["complain_delivery", "complain_service", "complain_refund", "request_human", "greet"]


def _ted(agent: Any) -> Any:
    for node in agent.processor.graph_runner._instantiated_nodes.values():
        component: Any = getattr(node, "_component", None)
        if type(component).__name__ == "TEDPolicy":
            return component
    raise AssertionError("the trained model has no TEDPolicy")


def _probabilities(agent: Any, intent: str) -> list[float]:
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [
        ActionExecuted("action_listen"),
        UserUttered("…", intent={"name": intent, "confidence": 1.0}),
    ]
    tracker = DialogueStateTracker.from_events("tf-predict", events, agent.domain.slots)
    prediction = _ted(agent).predict_action_probabilities(tracker, agent.domain)
    return list(prediction.probabilities)


@pytest.mark.parametrize("intent", INTENTS)
def test_direct_call_gives_rasas_probabilities(
    nlu_agent: Any, intent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.utils.tensorflow.models import RasaModel

    _probabilities(nlu_agent, intent)  # Rasa traces the graph on a first call
    fitted: list[bool] = []
    fits = rasa_tf_predict._fits

    def spy(batch_in: Any, specs: Any) -> bool:
        fitted.append(fits(batch_in, specs))
        return fitted[-1]

    monkeypatch.setattr(rasa_tf_predict, "_fits", spy)
    direct = _probabilities(nlu_agent, intent)
    assert fitted and all(fitted)  # the direct path answered, not the fallback
    assert max(direct) > 0 and sum(direct) == pytest.approx(1.0, abs=1e-3)
    with monkeypatch.context() as rasa_way:
        rasa_way.setattr(RasaModel, "_rasa_predict", RasaModel._rasa_predict.__wrapped__)
        assert _probabilities(nlu_agent, intent) == direct


def test_the_concrete_graph_is_rasas_traced_one(nlu_agent: Any) -> None:
    _probabilities(nlu_agent, INTENTS[0])
    model = _ted(nlu_agent).model
    found = rasa_tf_predict._concrete(model)
    assert found is not None
    concrete, specs = found
    # Taken once and kept: the same object on the next call, no new trace.
    assert rasa_tf_predict._concrete(model)[0] is concrete  # type: ignore[index]
    assert model._tf_predict_step.experimental_get_tracing_count() == 1
    assert len(specs) == len(concrete.structured_input_signature[0][0])


def test_batches_that_do_not_fit_take_rasas_path() -> None:
    specs = [tf.TensorSpec([None, 3], tf.int64), tf.TensorSpec([None], tf.float32)]
    good = [np.zeros((5, 3), np.int64), np.zeros((5,), np.float32)]
    assert rasa_tf_predict._fits(good, specs)
    assert not rasa_tf_predict._fits(good[:1], specs)  # another number of arrays
    assert not rasa_tf_predict._fits([good[0], np.zeros((5,), np.float64)], specs)  # dtype
    assert not rasa_tf_predict._fits([np.zeros((5, 4), np.int64), good[1]], specs)  # shape
    assert not rasa_tf_predict._fits([np.zeros((5,), np.int64), good[1]], specs)  # rank
    assert not rasa_tf_predict._fits([[1, 2, 3], good[1]], specs)  # not an array
