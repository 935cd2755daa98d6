"""DIET's predictions through the traced graph directly (bot/rasa_tf_predict.py) are Rasa's."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
import tensorflow as tf

import bot.channels  # noqa: F401 - importing the channels installs the fixes, as in Rasa
from bot import rasa_tf_predict

SENTENCES = [
    "快递一直显示在运输中，十天了还没到，订单号 2023112400123",
    "客服态度太差了，电话打了三次都没人接",
    "我要退款！！！等了半个月还没到帳",
    "說好的贈品一直沒送",
    "iPhone 刚买就降价两百多，能退差价吗",
    "😡😡😡",
    "谢谢",
]


def _diet_model(agent: Any) -> Any:
    for node in agent.processor.graph_runner._instantiated_nodes.values():
        component: Any = getattr(node, "_component", None)
        if type(component).__name__ == "DIETClassifier":
            return component.model
    raise AssertionError("the trained model has no DIETClassifier")


def _ranking(agent: Any, text: str) -> list[tuple[str, float]]:
    parsed = asyncio.run(agent.parse_message(text))
    return [(r["name"], r["confidence"]) for r in parsed["intent_ranking"]]


@pytest.mark.parametrize("text", SENTENCES)
def test_direct_call_gives_rasas_ranking(
    nlu_agent: Any, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.utils.tensorflow.models import RasaModel

    _ranking(nlu_agent, text)  # Rasa traces the graph on a first call
    fitted: list[bool] = []
    fits = rasa_tf_predict._fits

    def spy(batch_in: Any, specs: Any) -> bool:
        fitted.append(fits(batch_in, specs))
        return fitted[-1]

    monkeypatch.setattr(rasa_tf_predict, "_fits", spy)
    direct = _ranking(nlu_agent, text)
    assert fitted and all(fitted)  # the direct path answered, not the fallback
    with monkeypatch.context() as rasa_way:
        rasa_way.setattr(RasaModel, "_rasa_predict", RasaModel._rasa_predict.__wrapped__)
        assert _ranking(nlu_agent, text) == direct


def test_the_concrete_graph_is_rasas_traced_one(nlu_agent: Any) -> None:
    _ranking(nlu_agent, SENTENCES[0])
    model = _diet_model(nlu_agent)
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
