"""Typed application state keys of the console app (shared by app, middlewares, handlers)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from bot.console.rasa_client import RasaClient
from bot.console.training import TrainerJobs
from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONMAKER = web.AppKey("sessionmaker", sessionmaker)
RASA = web.AppKey("rasa", RasaClient)
#: Rasa's tracker store (read-only): transcripts and the trainer's inbox.
TRACKER = web.AppKey("tracker_engine", AsyncEngine)
#: The trainer's background jobs (export, retrain) and where they read and write.
TRAINER = web.AppKey("trainer", TrainerJobs)
