"""Who may read the API's schema and its browsable docs."""

from django.conf import settings
from rest_framework.permissions import BasePermission


class ApiDocsVisible(BasePermission):
    """Everyone with API_DOCS_PUBLIC (the default in debug), else staff only: in production the
    schema is a map of every endpoint for whoever probes the site."""

    def has_permission(self, request, view) -> bool:
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_staff)
