"""Entry point of the console process: ``python -m bot.console``."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.console.app import init_app
from bot.privacy import install_masking
from bot.settings import get_settings


def main() -> None:
    """Serve the console on ``BIND_HOST:CONSOLE_PORT`` until interrupted."""
    settings = get_settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Request paths and errors can carry customers' phone numbers.
    install_masking()
    logging.getLogger(__name__).info(
        "staff console on http://%s:%d", settings.bind_host, settings.console_port
    )
    web.run_app(
        init_app(settings),
        host=settings.bind_host,
        port=settings.console_port,
        print=None,
    )


if __name__ == "__main__":
    main()
