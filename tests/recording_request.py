"""A python-telegram-bot transport that records every Bot API call instead of sending it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Ohjaamo", "username": "ohjaamo_bot"}


@dataclass
class Recorded:
    """One Bot API call: the method and its parameters."""

    method: str
    params: dict[str, Any]


@dataclass
class RecordingRequest(BaseRequest):
    """Answer every call like Telegram would, and remember it; failures can be queued."""

    calls: list[Recorded] = field(default_factory=list)
    failures: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    _next_message_id: int = 1

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def fail_next(self, method: str, status: int = 400,
                  description: str = "Bad Request: test failure") -> None:
        """Make the next call of `method` fail with `status`."""
        self.failures.setdefault(method, []).append((status, description))

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Return the parameters of every recorded call of `method`."""
        return [c.params for c in self.calls if c.method == method]

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None,
                         ) -> tuple[int, bytes]:
        """Record the call and return Telegram's answer to it."""
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append(Recorded(endpoint, params))
        queued = self.failures.get(endpoint)
        if queued:
            status, description = queued.pop(0)
            body = {"ok": False, "error_code": status, "description": description}
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint in ("sendMessage", "editMessageText"):
            message_id = self._next_message_id
            self._next_message_id += 1
            return {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": params.get("chat_id"), "type": "private"},
                    "from": BOT_USER, "text": params.get("text", "")}
        if endpoint == "getUpdates":
            return []
        return True
