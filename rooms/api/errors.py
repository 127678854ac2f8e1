"""One error shape for the whole API: `{"error": {"code", "detail", ...}}`."""

import logging
from typing import Any

from django.db import DatabaseError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from rooms import metrics
from rooms.errors import ChatError, unavailable

logger = logging.getLogger(__name__)

_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    Http404: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "invalid_json",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ValidationError: "invalid_field",
}


def error_response(error: ChatError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return Response({"error": error.as_dict()}, status=error.status, headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = _error_response(exc, context)
    if response is not None:
        metrics.errors.labels(response.data["error"]["code"], "http").inc()
    return response


def _error_response(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ChatError):
        return error_response(exc)
    if isinstance(exc, DatabaseError):
        logger.exception("database error in %s", context.get("view"))
        return error_response(unavailable())
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((code for kind, code in _CODES.items() if isinstance(exc, kind)), "error")
    if isinstance(exc, exceptions.PermissionDenied) and "CSRF" in str(exc.detail):
        code = "csrf_failed"
    payload: dict[str, Any] = {"code": code, "detail": _detail_text(exc)}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        payload["fields"] = exc.detail
    response.data = {"error": payload}
    return response


def _detail_text(exc: Exception) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "Some fields are invalid."
    return str(exc.detail) if hasattr(exc, "detail") else str(exc)


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """CSRF failures outside DRF (e.g. guest sign-in) in the same shape."""
    metrics.errors.labels("csrf_failed", "http").inc()
    return JsonResponse(
        {"error": {"code": "csrf_failed", "detail": f"CSRF check failed: {reason}"}}, status=status.HTTP_403_FORBIDDEN
    )
