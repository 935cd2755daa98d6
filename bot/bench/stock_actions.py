"""The stock bot's only custom action (see bot/bench/stock.py): plain, as a stock bot has it."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

#: Where the stock submit action writes (the bench sets it).
STOCK_DB_ENV = "STOCK_DB"
SLOTS = ("description", "phone", "outcome")


class ActionStockSubmit(Action):
    """The plain submit action a stock bot has: one INSERT, one confirmation."""

    def name(self) -> str:
        """Name used in the stock rules."""
        return "action_stock_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Write the row and confirm."""
        with sqlite3.connect(os.environ.get(STOCK_DB_ENV, "stock.db")) as db:
            db.execute("CREATE TABLE IF NOT EXISTS tickets (sender, description, phone, outcome)")
            values = (tracker.sender_id, *(tracker.get_slot(s) for s in SLOTS))
            db.execute("INSERT INTO tickets VALUES (?, ?, ?, ?)", values)
        dispatcher.utter_message(text="已为您登记。")
        return [SlotSet(s, None) for s in SLOTS]
