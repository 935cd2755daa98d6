"""A calm answer, and no half-done turn, when the action server cannot be reached.

Rasa 3.6.21 logs "Encountered an exception while running action" when the action server is
down, drops that action's events and goes on: the customer gets silence (the REST channel
answers ``[]``) and the tracker keeps a turn whose form validation never ran. Here, when a
custom action (or a form's remote validation) fails because the action server could not be
reached or answered with an error, the turn is abandoned before the tracker is saved, and the
customer gets a short apology asking to send the message again. Nothing of the turn is stored,
so the resent message is handled as if it were the first: the form goes on where it was and
the ticket is written exactly once.

The same answer is given when the lock store (Redis) cannot be reached or a conversation's lock
cannot be had, or when anything else fails during a turn: Rasa raises and the REST channel
would again answer ``[]``.

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from bot.channels.texts import pick

logger = logging.getLogger(__name__)

#: What the customer reads while the action server is unreachable.
BUSY = (
    "系统有点忙，请稍后再发一次，您说的内容我都记着。",
    "不好意思，系统这会儿有点忙，麻烦您稍等片刻再发一次刚才的消息。",
    "抱歉，刚才没处理成功，请过一小会儿把这句话再发给我，我接着帮您办。",
)

_APPLIED = "_complaint_bot_outage"
# Failures of custom actions seen during the current prediction step (one list per step).
_failures: ContextVar[list[str] | None] = ContextVar("action_server_failures", default=None)


class ActionServerUnavailable(Exception):
    """A custom action could not run; the whole turn is abandoned."""


def _wrap_remote_run(original: Any) -> Any:
    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        from rasa.core.actions.action import ActionExecutionRejection

        try:
            return await original(self, *args, **kwargs)
        except ActionExecutionRejection:
            raise  # the action server answered: "this action does not apply", not an outage
        except Exception:
            failures = _failures.get()
            if failures is not None:
                failures.append(self.name())
            raise

    return run


def _wrap_run_action(original: Any) -> Any:
    async def _run_action(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _failures.set([])
        try:
            result = await original(self, *args, **kwargs)
            failed = _failures.get()
        finally:
            _failures.reset(token)
        if failed:
            raise ActionServerUnavailable(", ".join(failed))
        return result

    return _run_action


def _wrap_handle_message(original: Any) -> Any:
    async def handle_message(self: Any, message: Any) -> Any:
        try:
            return await original(self, message)
        except ActionServerUnavailable as error:
            # The tracker was not saved: the customer's resent message starts the turn again.
            logger.warning(
                "Turn of %s abandoned, action server failed: %s", message.sender_id, error
            )
            return await _busy(message)

    return handle_message


async def _busy(message: Any) -> Any:
    from rasa.core.channels.channel import CollectingOutputChannel

    output = message.output_channel
    await output.send_text_message(message.sender_id, pick(BUSY))
    if isinstance(output, CollectingOutputChannel):
        return output.messages
    return None


async def _answer_after_failure(message: Any) -> Any:
    """What the turn already said (it ran; only a late step failed), else the busy answer."""
    from rasa.core.channels.channel import CollectingOutputChannel

    output = message.output_channel
    if isinstance(output, CollectingOutputChannel) and output.messages:
        return output.messages
    return await _busy(message)


def _wrap_agent_handle_message(original: Any) -> Any:
    async def handle_message(self: Any, message: Any) -> Any:
        from rasa.core.lock_store import LockError
        from redis.exceptions import RedisError

        try:
            return await original(self, message)
        except (LockError, RedisError) as error:
            logger.warning("Turn of %s not run, lock store failed: %s", message.sender_id, error)
            return await _answer_after_failure(message)
        except Exception:
            # Anything else (a bug, a tracker store that fails mid-save): Rasa's channels would
            # answer nothing. The customer is asked to resend; the trace goes to the log only.
            logger.exception("Turn of %s failed", message.sender_id)
            return await _answer_after_failure(message)

    return handle_message


def apply() -> None:
    """Install the outage handling (once per process)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor, _APPLIED, False):
        return
    RemoteAction.run = _wrap_remote_run(RemoteAction.run)  # type: ignore[method-assign]
    MessageProcessor._run_action = _wrap_run_action(MessageProcessor._run_action)  # type: ignore[method-assign]
    MessageProcessor.handle_message = _wrap_handle_message(MessageProcessor.handle_message)  # type: ignore[method-assign]
    Agent.handle_message = _wrap_agent_handle_message(Agent.handle_message)  # type: ignore[method-assign]
    setattr(MessageProcessor, _APPLIED, True)
