"""A turn that fails in Rasa gets a calm answer, never silence (bot/rasa_outage.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

import bot.channels  # noqa: F401 - the package installs the fixes; imported first, as in Rasa
from bot.rasa_outage import BUSY, _wrap_agent_handle_message


async def _failing(agent: Any, message: UserMessage) -> Any:
    raise RuntimeError("tracker store exploded")


async def _failing_after_answering(agent: Any, message: UserMessage) -> Any:
    await message.output_channel.send_text_message(message.sender_id, "已经为您登记好了。")
    raise RuntimeError("lost the connection while releasing")


async def test_an_unexpected_error_gets_the_busy_answer(caplog: pytest.LogCaptureFixture) -> None:
    output = CollectingOutputChannel()
    handle = _wrap_agent_handle_message(_failing)
    answer = await handle(None, UserMessage("快递丢了", output, sender_id="c1"))
    assert [m["text"] for m in answer] in [[text] for text in BUSY]
    assert "tracker store exploded" in caplog.text  # the trace is logged, not sent


async def test_what_was_already_said_is_kept() -> None:
    output = CollectingOutputChannel()
    handle = _wrap_agent_handle_message(_failing_after_answering)
    answer = await handle(None, UserMessage("快递丢了", output, sender_id="c2"))
    assert [m["text"] for m in answer] == ["已经为您登记好了。"]
