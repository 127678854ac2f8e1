"""The one error type of the chat rules. REST turns it into `{"error": {...}}` with its
HTTP status; the WebSocket consumer turns it into an `error` frame."""

from typing import Any


class ChatError(Exception):
    def __init__(self, code: str, detail: str, *, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"code": self.code, "detail": self.detail}
        if self.retry_after is not None:
            payload["retry_after"] = self.retry_after
        return payload


def unavailable() -> ChatError:
    return ChatError("unavailable", "The message store is unavailable; nothing was stored. Try again.", status=503)
