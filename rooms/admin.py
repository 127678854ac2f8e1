from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from rooms import realtime, rules, services
from rooms.errors import ChatError
from rooms.models import Message, Room, User

# The admin's classes are generic in django-stubs only: a base class written ModelAdmin[Room]
# fails at run time (without django-stubs-ext's monkeypatch), hence the type-arg ignores below.


def _staff(request: HttpRequest) -> User:
    """The signed-in staff member: the admin site lets no one else in."""
    user = request.user
    assert user.is_authenticated, "an admin view without a signed-in user"
    return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "display_name", "email", "is_guest", "is_staff", "is_active", "last_login"]
    list_filter = ["is_guest", "is_staff", "is_active"]
    search_fields = ["username", "display_name", "email"]
    # Django's UserAdmin sets fieldsets; the stubs declare ModelAdmin's, which may be None.
    fieldsets = [*BaseUserAdmin.fieldsets, ("Profile", {"fields": ["display_name", "avatar_url", "is_guest"]})]  # type: ignore[misc]
    actions = ["deactivate"]

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm[User], change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            realtime.close_user_sockets(obj.pk)

    @admin.action(description="Deactivate (signs them out of open rooms)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        user_ids = list(queryset.filter(is_active=True).values_list("pk", flat=True))
        queryset.update(is_active=False)
        for user_id in user_ids:
            realtime.close_user_sockets(user_id)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "is_archived", "allow_room_mention", "position", "last_message_at", "created_at"]
    list_editable = ["is_archived", "position"]
    list_filter = ["is_archived"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["last_seq", "last_message_at", "created_at"]
    actions = ["archive", "unarchive"]

    def save_model(self, request: HttpRequest, obj: Room, form: forms.ModelForm[Room], change: bool) -> None:
        if not change:
            obj.save()  # a new room: nobody is in it to be told
            return
        # Through the service: only the edited fields are written (not counters read earlier),
        # and people in the room see a rename or an archive live.
        result = services.room_update(room=obj, **{name: getattr(obj, name) for name in form.changed_data})
        realtime.publish_on_commit(result.events)

    @admin.action(description="Archive (read-only)")
    def archive(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        self._set_archived(request, queryset, True)

    @admin.action(description="Reopen")
    def unarchive(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        self._set_archived(request, queryset, False)

    def _set_archived(self, request: HttpRequest, queryset: QuerySet[Room], archived: bool) -> None:
        changed = []
        for room in queryset:
            result = services.room_update(room=room, is_archived=archived)
            realtime.publish_on_commit(result.events)
            if result.events:
                changed.append(result.room.name)
        if not changed:
            state = "archived" if archived else "open"
            self.message_user(request, f"Nothing changed: the rooms selected were already {state}.", messages.WARNING)
        elif archived:
            self.message_user(
                request, f"Archived {len(changed)}: {', '.join(changed)}. People in them now see them read-only."
            )
        else:
            self.message_user(
                request, f"Reopened {len(changed)}: {', '.join(changed)}. People in them can write again."
            )


class MessageForm(forms.ModelForm):  # type: ignore[type-arg]
    def clean_body(self) -> str:
        try:
            return rules.clean_body(self.cleaned_data["body"])
        except ChatError as error:
            raise forms.ValidationError(error.detail) from None


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every change to a message goes through the services, so it is a room event that open
    rooms see live and reconnecting clients catch up on. So there is no adding here (a message
    is sent), no hard delete (clients holding it would never hear of it: "Mark deleted" keeps its
    place), and a deleted message stays deleted."""

    form = MessageForm
    list_display = ["id", "room", "author", "short_body", "created_at", "edited_at", "deleted"]
    list_filter = ["room", "deleted"]
    search_fields = ["body", "author__username", "author__display_name"]
    list_select_related = ["room", "author"]
    readonly_fields = ["room", "author", "seq", "event", "client_id", "created_at", "edited_at", "deleted"]
    actions = ["soft_delete"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Message | None = None) -> list[str]:
        if obj is not None and obj.deleted:
            return [*self.readonly_fields, "body"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Message, form: forms.ModelForm[Message], change: bool) -> None:
        if "body" in form.changed_data:
            result = services.message_edit(message=obj, actor=_staff(request), body=obj.body)
            realtime.publish_on_commit(result.events)

    @admin.display(description="Message")
    def short_body(self, message: Message) -> str:
        return message.body[:80]

    @admin.action(description="Mark deleted (keeps their place in the room)")
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        # Through the service, so open rooms see the deletion live like any other.
        count = 0
        for message in queryset.filter(deleted=False).select_related("room", "author"):
            change = services.message_delete(message=message, actor=_staff(request))
            realtime.publish_on_commit(change.events)
            count += bool(change.events)
        self.message_user(request, f"Marked {count} message(s) deleted; open rooms show it now.")
