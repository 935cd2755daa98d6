"""Names shared by the actions: slot sentinels and intents with a fixed meaning."""

from __future__ import annotations

# Stored in an optional slot when the customer declines or fails twice, so the form moves on;
# the ticket then holds NULL for it.
SKIPPED = "skipped"

# After this many values of the wrong shape, an optional slot is skipped instead of re-asked.
MAX_FAILURES = 2

# Messages that steer the conversation rather than answer the form's question; the form
# leaves them to the dialogue rules.
CONTROL_INTENTS = frozenset(
    {"request_human", "bot_challenge", "out_of_scope", "greet", "goodbye", "thank"}
)

# Channels whose sender id already identifies the customer (WeChat OpenID): no phone needed.
IDENTIFIED_CHANNELS = frozenset({"wechat"})

FORM_SLOTS = (
    "complaint_description",
    "complaint_category",
    "order_id",
    "phone",
    "desired_outcome",
    "order_id_failures",
    "phone_failures",
    "form_error",
)
