"""REST endpoints: parse the request, call a selector or service, shape the response."""

import re
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth import login, logout
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rooms import membership, presence_feed, realtime, rules, search, selectors, services
from rooms.api import serializers as io
from rooms.errors import ChatError
from rooms.models import Message, Room, User
from rooms.presence import get_presence
from rooms.serializers import (
    MessageSerializer,
    RoomSerializer,
    UserSerializer,
    author_data,
    mentioned_authors,
    message_data,
    reactions_by_message,
    user_data,
)
from rooms.tickets import ticket_issue, ticket_ttl

# A client's id for one HTTP-fallback connection (a tab in a room): like a message's client_id.
CONNECTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

ERRORS = {code: io.ErrorOutput for code in (400, 401, 403, 404, 409, 429, 503)}


def _json_object(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ChatError("invalid_field", "The request body must be a JSON object.")
    return request.data


def _user(request: Request) -> User:
    """The signed-in user, in a view behind the API's default permission (IsAuthenticated)."""
    user = request.user
    assert user.is_authenticated, "IsAuthenticated let an anonymous request in"
    return user


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    number = rules.non_negative_int(value)
    if number is None:
        raise ChatError("invalid_field", f"`{name}` must be a non-negative integer.")
    return number


def _room_or_404(slug: str) -> Room:
    room = selectors.room_get(slug=slug)
    if room is None:
        raise ChatError("not_found", "No such room.", status=404)
    return room


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request: Request, *args: Any, **kwargs: Any) -> Response:
    raise ChatError("not_found", "No such API endpoint.", status=404)


class AuthConfigView(APIView):
    """What the client needs before anything else: how one signs in, the limits it checks input
    against, and who is signed in (null rather than /api/me/'s 401, so a first visit logs no error)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: io.AuthConfigOutput})
    def get(self, request: Request) -> Response:
        google = settings.GOOGLE_SIGNIN_ENABLED
        return Response(
            {
                "guest_enabled": settings.GUEST_SIGNIN_ENABLED,
                "google_enabled": google,
                "google_login_url": reverse("social:begin", args=["google-oauth2"]) if google else None,
                "limits": {
                    "message_max_length": settings.ROOMS["MESSAGE_MAX_LENGTH"],
                    "display_name_max_length": rules.DISPLAY_NAME_MAX,
                    "mentions_max": settings.ROOMS["MENTIONS_MAX"],
                    "search_query_max_length": settings.ROOMS["SEARCH_QUERY_MAX_LENGTH"],
                },
                "user": user_data(request.user) if request.user.is_authenticated else None,
            }
        )


class CsrfView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: io.CsrfOutput})
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request)})


# Anonymous POSTs skip DRF's CSRF check; signing in must not (login CSRF).
@method_decorator(csrf_protect, name="dispatch")
class GuestSignInView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=io.GuestSignInInput, responses={201: UserSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        if not settings.GUEST_SIGNIN_ENABLED:
            raise ChatError("guest_disabled", "Guest sign-in is turned off on this server.", status=403)
        display_name = _json_object(request).get("display_name")
        # The client's address as Daphne reports it: behind nginx, from its X-Forwarded-For.
        services.guest_signin_allow(client_address=request.META.get("REMOTE_ADDR"))
        user = services.guest_user_create(display_name=display_name)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(user_data(user), status=status.HTTP_201_CREATED)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None, **ERRORS})
    def post(self, request: Request) -> Response:
        logout(request._request)  # its sockets close with it (rooms/sessions.py)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketView(APIView):
    """A one-time ticket for opening a socket from a front end on another origin."""

    @extend_schema(request=None, responses={201: io.TicketOutput, **ERRORS})
    def post(self, request: Request) -> Response:
        session_key = request.session.session_key
        if not session_key:  # signed in without a session (no such client today): nothing to tie it to
            raise ChatError("not_authenticated", "Tickets are for signed-in browser sessions.", status=401)
        ticket = ticket_issue(user_id=_user(request).pk, session_key=session_key)
        return Response({"ticket": ticket, "expires_in": ticket_ttl()}, status=status.HTTP_201_CREATED)


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(user_data(_user(request)))


class RoomListView(APIView):
    @extend_schema(operation_id="rooms_list", responses={200: io.RoomListOutput, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(
            {"rooms": selectors.room_list_data(), "memberships": membership.membership_list(user=_user(request))}
        )


class SearchView(APIView):
    """Messages across the rooms (or in one), by words, phrases, `from:` and `in:`."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description='Words, "phrases", from:<name>, in:<room>.'),
            OpenApiParameter("room", str, description="Only this room (its slug)."),
            OpenApiParameter("before", int, description="Older than this message id (the next page)."),
            OpenApiParameter("limit", int, description="At most this many (default and cap SEARCH_PAGE_SIZE)."),
        ],
        responses={200: io.SearchOutput, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        slug = request.query_params.get("room")
        page = search.message_search(
            user=_user(request),
            text=request.query_params.get("q"),
            room=None if slug is None else _room_or_404(slug),
            before=_int_param(request, "before"),
            limit=_int_param(request, "limit"),
        )
        return Response({"results": page.results, "terms": page.terms, "has_more": page.has_more})


class RoomDetailView(APIView):
    @extend_schema(responses={200: RoomSerializer, **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        room = _room_or_404(slug)
        context = {"online_counts": selectors.room_online_counts([room])}
        return Response(RoomSerializer(room, context=context).data)


class MessageListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="Older than this id, newest first."),
            OpenApiParameter("after", int, description="Newer than this id, oldest first."),
            OpenApiParameter("limit", int, description="At most this many (default 50, capped)."),
        ],
        responses={200: io.MessagePageOutput, **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        room = _room_or_404(slug)
        conf = settings.ROOMS
        limit = min(_int_param(request, "limit") or conf["HISTORY_SIZE"], conf["HISTORY_PAGE_MAX"])
        before, after = _int_param(request, "before"), _int_param(request, "after")
        if before is not None and after is not None:
            raise ChatError("invalid_field", "Give `before` or `after`, not both.")
        page = selectors.message_page(room=room, limit=limit, before=before, after=after)
        # What the page names beyond itself, read once for the page, not per message.
        mentioned = mentioned_authors(uid for m in page.messages if not m.deleted for uid in m.mentions)
        reactions = reactions_by_message(m.pk for m in page.messages if m.reaction_count and not m.deleted)
        messages = [message_data(m, mentioned, reactions) for m in page.messages]
        return Response({"messages": messages, "has_more": page.has_more})

    @extend_schema(request=io.MessageCreateInput, responses={200: MessageSerializer, 201: MessageSerializer, **ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        room = _room_or_404(slug)
        data = _json_object(request)
        result = services.message_create(
            room=room,
            author=_user(request),
            body=data.get("body"),
            client_id=data.get("client_id"),
            reply_to=data.get("reply_to"),
        )
        realtime.publish_on_commit(result.events)
        return Response(result.data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class MessageDetailView(APIView):
    def _message(self, slug: str, message_id: int) -> Message:
        message = selectors.message_get(room_id=_room_or_404(slug).pk, message_id=message_id)
        if message is None:
            raise ChatError("not_found", "No such message in this room.", status=404)
        return message

    @extend_schema(request=io.MessageEditInput, responses={200: MessageSerializer, **ERRORS})
    def patch(self, request: Request, slug: str, message_id: int) -> Response:
        change = services.message_edit(
            message=self._message(slug, message_id), actor=_user(request), body=_json_object(request).get("body")
        )
        realtime.publish_on_commit(change.events)
        return Response(change.data)

    @extend_schema(request=None, responses={204: None, **ERRORS})
    def delete(self, request: Request, slug: str, message_id: int) -> Response:
        change = services.message_delete(message=self._message(slug, message_id), actor=_user(request))
        realtime.publish_on_commit(change.events)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _connection_param(request: Request) -> str | None:
    value: str | None = request.query_params.get("connection")
    if value is None:
        return None
    if not CONNECTION_ID.fullmatch(value):
        raise ChatError("invalid_field", "`connection` must be 1-64 of A-Z a-z 0-9 _ -.")
    return value


class RoomChangesView(APIView):
    """The HTTP fallback's poll: the same answer a socket's hello gives for `since`, and, with
    `connection`, the poll is that connection's presence heartbeat."""

    @extend_schema(
        parameters=[
            OpenApiParameter("since", int, description="The last room event the client applied."),
            OpenApiParameter("connection", str, description="This client's connection id: the poll keeps it online."),
        ],
        responses={200: io.RoomChangesOutput, **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        room = _room_or_404(slug)
        since = _int_param(request, "since")
        connection_id = _connection_param(request)
        snapshot = presence_feed.poll_heartbeat(room.pk, _user(request), connection_id) if connection_id else None
        try:
            sync = selectors.room_sync(
                room_id=room.pk, since=since, online_user_ids=snapshot.user_ids if snapshot else ()
            )
        except Room.DoesNotExist:
            raise ChatError("not_found", "No such room.", status=404) from None
        online_count = snapshot.count if snapshot else selectors.room_online_count_if_known(room)
        # A connection is in the room: it has entered it, and gets its membership with every poll
        # (HTTP clients hear no `membership` frames).
        entered = membership.membership_enter(user=_user(request), room_id=room.pk) if connection_id else None
        answer = {
            "room": {**sync.room, "online_count": online_count},
            "event": sync.event,
            "messages": sync.messages,
            "has_more": sync.has_more,
            "resync": sync.resync,
        }
        if snapshot is not None:
            answer["presence"] = {"online": sync.online, "online_count": snapshot.count, "version": snapshot.version}
            answer["typing"] = presence_feed.typing_now(room.pk, besides=_user(request).pk)
            answer["membership"] = entered
        return Response(answer)

    @extend_schema(
        parameters=[OpenApiParameter("connection", str, description="The connection to end.")],
        request=None,
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, slug: str) -> Response:
        """The HTTP client leaves the room (a socket would close)."""
        room = _room_or_404(slug)
        connection_id = _connection_param(request)
        if connection_id is None:
            raise ChatError("invalid_field", "`connection` is required.")
        presence_feed.poll_ended(room.pk, _user(request), connection_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomTypingView(APIView):
    """`typing` for a client in HTTP mode: the room's sockets hear it, and HTTP clients' polls."""

    @extend_schema(request=None, responses={204: None, **ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        presence_feed.poll_typing(_room_or_404(slug).pk, _user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageReactionsView(APIView):
    """Add or remove the user's emoji reaction on a message."""

    @extend_schema(request=io.ReactionInput, responses={200: MessageSerializer, **ERRORS})
    def post(self, request: Request, slug: str, message_id: int) -> Response:
        message = selectors.message_get(room_id=_room_or_404(slug).pk, message_id=message_id)
        if message is None:
            raise ChatError("not_found", "No such message in this room.", status=404)
        data = _json_object(request)
        change = services.message_react(
            message=message, actor=_user(request), emoji=data.get("emoji"), on=data.get("on")
        )
        realtime.publish_on_commit(change.events)
        return Response(change.data)


class MembershipView(APIView):
    """The user's place in a room: read position, notification level, unread counts."""

    @extend_schema(responses={200: io.MembershipOutput, **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        return Response(membership.membership_get(user=_user(request), room=_room_or_404(slug)))

    @extend_schema(request=io.MembershipInput, responses={200: io.MembershipOutput, **ERRORS})
    def patch(self, request: Request, slug: str) -> Response:
        data = _json_object(request)
        change = membership.membership_update(
            user=_user(request), room=_room_or_404(slug), read_seq=data.get("read_seq"), notify=data.get("notify")
        )
        realtime.publish_on_commit(change.events)
        return Response(change.membership)


class RoomMembersView(APIView):
    """People to offer after `@`: who has entered the room, online first."""

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Part of the display name, any case.")],
        responses={200: io.MemberListOutput, **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        room = _room_or_404(slug)
        text = request.query_params.get("q", "")[: rules.DISPLAY_NAME_MAX]
        try:
            online = get_presence().online_user_ids(room.pk, limit=settings.ROOMS["ONLINE_LIST_MAX"])
        except redis.RedisError:  # the presence store away: suggest all the same, unsorted by presence
            online = []
        people = membership.members_suggest(room=room, text=text, online_ids=online)
        return Response({"members": [{**author_data(user), "online": is_online} for user, is_online in people]})
