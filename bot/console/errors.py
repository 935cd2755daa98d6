"""JSON error responses, and the middleware that guarantees every error is one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Headers of an HTTPException that describe its own (text) body, not the JSON one we send.
_BODY_HEADERS = {"content-type", "content-length"}


def json_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """Return ``{"error": message}`` with ``status``."""
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn HTTP errors into JSON and unexpected exceptions into a logged JSON 500.

    Clients (and the staff console's own pages) always get JSON they can show; a stack trace
    goes to the log, never to the client.
    """
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() not in _BODY_HEADERS}
        return json_error(exc.status, exc.reason.lower(), headers)
    except asyncio.CancelledError:
        raise
    except UnicodeDecodeError:
        # aiohttp's request.post() / text() on a body that is not UTF-8: the client's fault.
        return json_error(400, "the request body is not valid UTF-8")
    except Exception:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return json_error(500, "internal error")
