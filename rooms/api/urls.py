from django.urls import path, re_path

from rooms.api import views

urlpatterns = [
    path("auth/config/", views.AuthConfigView.as_view(), name="auth-config"),
    path("auth/csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("auth/guest/", views.GuestSignInView.as_view(), name="auth-guest"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("ws-ticket/", views.WsTicketView.as_view(), name="ws-ticket"),
    path("me/", views.MeView.as_view(), name="me"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("rooms/", views.RoomListView.as_view(), name="room-list"),
    path("rooms/<slug:slug>/", views.RoomDetailView.as_view(), name="room-detail"),
    path("rooms/<slug:slug>/changes/", views.RoomChangesView.as_view(), name="room-changes"),
    path("rooms/<slug:slug>/typing/", views.RoomTypingView.as_view(), name="room-typing"),
    path("rooms/<slug:slug>/membership/", views.MembershipView.as_view(), name="room-membership"),
    path("rooms/<slug:slug>/members/", views.RoomMembersView.as_view(), name="room-members"),
    path("rooms/<slug:slug>/messages/", views.MessageListView.as_view(), name="message-list"),
    path("rooms/<slug:slug>/messages/<int:message_id>/", views.MessageDetailView.as_view(), name="message-detail"),
    path(
        "rooms/<slug:slug>/messages/<int:message_id>/reactions/",
        views.MessageReactionsView.as_view(),
        name="message-reactions",
    ),
    # Anything else under /api/ answers in the API's error shape, not with an HTML page.
    re_path(r"^[\s\S]*$", views.not_found, name="api-not-found"),
]
