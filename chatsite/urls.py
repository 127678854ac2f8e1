from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from rooms import views
from rooms.api.permissions import ApiDocsVisible

urlpatterns = [
    path("admin/", admin.site.urls),
    # Public in development; in production for staff only unless API_DOCS_PUBLIC says otherwise.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[ApiDocsVisible]), name="schema"),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file: the CSP allows no inline script.
        SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[ApiDocsVisible]),
        name="api-docs",
    ),
    path("api/", include("rooms.api.urls")),
    path("auth/", include("social_django.urls", namespace="social")),
    path("health/", views.health, name="health"),
    # Browsers ask for it whatever the page links; the icon is the front end's (frontend/public).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", views.app_shell, name="app"),
    path("rooms/<slug:slug>/", views.app_shell, name="app-room"),
]
