"""Who may read the API's schema and its browsable docs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.permissions import BasePermission

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiDocsVisible(BasePermission):
    """Everyone with API_DOCS_PUBLIC (the default in debug), else staff only: in production the
    schema is a map of every endpoint for whoever probes the site."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_staff)
