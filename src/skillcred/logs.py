"""Logging: one JSON object per line (or plain text for a terminal), each carrying the id of
the request it belongs to.

The request id is the caller's ``X-Request-Id`` when it is a short token, else a new one;
it is returned in the answer's ``X-Request-Id`` header, so a user's complaint and the log
line meet. Secrets never reach the log: nothing here logs bodies or headers.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("skillcred_request_id", default=None)

#: what a LogRecord always has; anything else passed with ``extra=`` is logged as a field
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["requestId"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = REQUEST_ID.get()
        return f"{text} [request {request_id}]" if request_id else text


def logging_config(level: str, fmt: str, *, uvicorn_access: bool = False) -> dict[str, Any]:
    """A dictConfig for the service and uvicorn alike (uvicorn's loggers included; its own
    access lines only when asked for: the service logs each request, with its id)."""
    formatter = "skillcred.logs.JsonFormatter" if fmt == "json" else "skillcred.logs.TextFormatter"
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": formatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {
                "handlers": ["default"],
                "level": level.upper() if uvicorn_access else "WARNING",
                "propagate": False,
            },
        },
    }


def configure(level: str, fmt: str) -> None:
    import logging.config

    logging.config.dictConfig(logging_config(level, fmt))
