from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from broadcasts.models import Broadcast, BroadcastLog, Session


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["id", "app", "transport", "status", "total", "created_at", "completed_at"]
    list_filter = ["status", "app", "transport"]
    search_fields = ["id", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["app", "transport"]
    readonly_fields = [
        "id", "app", "transport", "status", "message", "total", "stats", "error", "idempotency_key",
        "created_at", "started_at", "completed_at", "cancelled_at", "broadcasts_link",
    ]
    exclude = ["request_fingerprint"]

    def has_add_permission(self, request) -> bool:
        return False  # sessions are created through the API

    @admin.display(description="Broadcasts")
    def broadcasts_link(self, session: Session) -> str:
        url = reverse("admin:broadcasts_broadcast_changelist") + f"?session__id__exact={session.pk}"
        return format_html('<a href="{}">{} broadcasts</a>', url, session.total)


class BroadcastLogInline(admin.TabularInline):
    model = BroadcastLog
    fields = [
        "created_at", "kind", "attempt", "status", "response_status", "error_code", "error_title",
        "duration_ms", "message",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin):
    list_display = ["id", "session", "address", "status", "attempts", "error_code", "wamid", "updated_at"]
    list_filter = ["status", "error_code"]
    search_fields = ["address", "wamid", "session__id"]
    list_select_related = ["session"]
    raw_id_fields = ["session"]
    inlines = [BroadcastLogInline]


@admin.register(BroadcastLog)
class BroadcastLogAdmin(ReadOnlyAdmin):
    list_display = ["id", "broadcast", "kind", "attempt", "status", "response_status", "error_code", "created_at"]
    list_filter = ["kind", "status", "error_code"]
    search_fields = ["broadcast__wamid", "broadcast__address"]
    raw_id_fields = ["broadcast", "session"]
