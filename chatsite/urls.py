from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from rooms import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("rooms.api.urls")),
    path("auth/", include("social_django.urls", namespace="social")),
    path("health/", views.health, name="health"),
    path("", views.app_shell, name="app"),
    path("rooms/<slug:slug>/", views.app_shell, name="app-room"),
]
