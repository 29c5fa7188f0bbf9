from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from broadcasts import (
    admin_campaign,
    admin_progress,
    admin_test_messages,  # noqa: F401 — adds "Send a test message" to the transport list
)
from broadcasts.admin_base import AuditAdmin
from broadcasts.admin_masking import PersonalDataAdminMixin, pretty_json
from broadcasts.admin_optouts import OptOutAdmin  # noqa: F401 — registers the opt-out list
from broadcasts.admin_rate_cards import RateCardAdmin  # noqa: F401 — registers rate cards and daily costs
from broadcasts.admin_schedule import ScheduleAdminMixin
from broadcasts.admin_session_tools import SessionToolsAdminMixin
from broadcasts.models import Broadcast, BroadcastLog, Erasure, Session
from broadcasts.selectors import progress_order, session_stats
from broadcasts.services.errors import SessionError
from broadcasts.services.sessions import (
    session_cancel,
    session_pause,
    session_resume,
    session_trigger,
)
from broadcasts.webhooks import admin as webhooks_admin  # noqa: F401 — registers the webhook models
from transports.redaction import mask_phone, phones_masked


@admin.register(Session)
class SessionAdmin(ScheduleAdminMixin, SessionToolsAdminMixin, admin.ModelAdmin):
    list_display = [
        "short_id", "transport", "status_shown", "progress_shown", "sent_shown", "delivered_shown", "read_shown",
        "failed_shown", "total", "is_test", "created_at",
    ]
    list_filter = ["status", "is_test", "app", "transport"]
    search_fields = ["id", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["app", "transport__app"]  # a transport's name shows its app
    readonly_fields = [
        "id", "app", "transport", "status", "live_stats", "broadcasts_link", "message", "total",
        "error", "pause_reason", "schedule", "idempotency_key", "is_test", "retargeted_from", "created_at",
        "started_at", "completed_at", "cancelled_at",
    ]
    # `schedule` shows the last four.
    exclude = ["request_fingerprint", "stats", "send_at", "send_window", "waiting_until", "waiting_reason"]
    actions = ["trigger_sessions", "pause_sessions", "resume_sessions", "cancel_sessions"]

    def get_changelist(self, request, **kwargs):
        return admin_progress.SessionChangeList

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/progress.json", view(partial(admin_progress.session_progress_view, self)),
                name="broadcasts_session_progress",
            ),
            path(
                "<path:object_id>/operate/<str:operation>/", view(partial(admin_progress.session_operate_view, self)),
                name="broadcasts_session_operate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, unquote(object_id))
        if session is not None and self.has_view_permission(request, session):
            extra_context = {
                **(extra_context or {}), **admin_progress.session_page_context(session=session, request=request)
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        return admin_campaign.campaign_add_view(self, request)  # the campaign form (needs add_session)

    @admin.display(description="Session", ordering="id")
    def short_id(self, session: Session) -> str:
        return str(session.pk)[:8]  # the list's link; search and the page have the whole id

    @admin.display(description="Status", ordering="status")
    def status_shown(self, session: Session) -> str:
        return admin_progress.status_cell(session, admin_progress.progress_of(session))

    @admin.display(description="Progress", ordering=progress_order("done"))
    def progress_shown(self, session: Session) -> str:
        return admin_progress.progress_bar(admin_progress.progress_of(session))

    @admin.display(description="Sent", ordering=progress_order("sent"))
    def sent_shown(self, session: Session) -> str:
        return admin_progress.count_cell(admin_progress.progress_of(session), "sent")

    @admin.display(description="Delivered", ordering=progress_order("delivered"))
    def delivered_shown(self, session: Session) -> str:
        return admin_progress.count_cell(admin_progress.progress_of(session), "delivered")

    @admin.display(description="Read", ordering=progress_order("read"))
    def read_shown(self, session: Session) -> str:
        return admin_progress.count_cell(admin_progress.progress_of(session), "read")

    @admin.display(description="Failed", ordering=progress_order("failed"))
    def failed_shown(self, session: Session) -> str:
        return admin_progress.count_cell(admin_progress.progress_of(session), "failed")

    @admin.display(description="Stats")
    def live_stats(self, session: Session) -> str:
        changelist = reverse("admin:broadcasts_broadcast_changelist")
        return format_html_join(
            " · ",
            '<a href="{}?session__id__exact={}&status__exact={}">{}: {}</a>',
            (
                (changelist, session.pk, name.upper(), name, count)
                for name, count in session_stats(session=session).items()
                if name != "total"
            ),
        )

    # Each changes the session: for staff with the change permission, like the session page's toolbar.
    @admin.action(description="Trigger: re-queue what failed retryably or never finished", permissions=["change"])
    def trigger_sessions(self, request, queryset):
        for session in queryset.select_related("transport"):
            try:
                count = session_trigger(session=session)
            except SessionError as error:
                messages.error(request, f"Session {session.pk}: {error.message}")
            else:
                messages.success(request, f"Session {session.pk}: {count} broadcasts re-queued.")

    @admin.action(description="Cancel: stop what has not been sent", permissions=["change"])
    def cancel_sessions(self, request, queryset):
        for session in queryset:
            try:
                count = session_cancel(session=session)
            except SessionError as error:
                messages.error(request, f"Session {session.pk}: {error.message}")
            else:
                messages.success(request, f"Session {session.pk}: {count} broadcasts cancelled.")

    @admin.action(description="Pause: stop sending until resumed", permissions=["change"])
    def pause_sessions(self, request, queryset):
        self._each(request, queryset, session_pause, "paused")

    @admin.action(description="Resume: send the rest of a paused session", permissions=["change"])
    def resume_sessions(self, request, queryset):
        self._each(request, queryset, session_resume, "resumed")

    def _each(self, request, queryset, service, done: str) -> None:
        for session in queryset:
            try:
                service(session=session)
            except SessionError as error:
                messages.error(request, f"Session {session.pk}: {error.message}")
            else:
                messages.success(request, f"Session {session.pk}: {done}.")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the audit trail (see AuditAdmin); a session is cancelled, never deleted

    @admin.display(description="Broadcasts")
    def broadcasts_link(self, session: Session) -> str:
        url = reverse("admin:broadcasts_broadcast_changelist") + f"?session__id__exact={session.pk}"
        return format_html('<a href="{}">{} broadcasts</a>', url, session.total)


class BroadcastLogInline(PersonalDataAdminMixin, admin.TabularInline):
    model = BroadcastLog
    masked_fields = ("message",)
    fields = [
        "created_at", "kind", "attempt", "status", "requested_at", "response_status", "error_code", "error_title",
        "duration_ms", "message",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Message")
    def message_masked(self, log: BroadcastLog) -> str:
        return phones_masked(log.message, (log.broadcast.address,))


@admin.register(Broadcast)
class BroadcastAdmin(PersonalDataAdminMixin, AuditAdmin):
    list_display = ["id", "session", "address", "status", "attempts", "error_code", "wamid", "updated_at"]
    list_filter = ["status", "error_code"]
    search_fields = ["address", "wamid", "session__id"]
    list_select_related = ["session"]
    raw_id_fields = ["session"]
    inlines = [BroadcastLogInline]
    masked_fields = ("address", "params", "error_title")

    @admin.display(description="Address")
    def address_masked(self, broadcast: Broadcast) -> str:
        return mask_phone(broadcast.address)

    @admin.display(description="Params")
    def params_masked(self, broadcast: Broadcast) -> str:
        return pretty_json(phones_masked(broadcast.params, (broadcast.address,)))

    @admin.display(description="Error title")
    def error_title_masked(self, broadcast: Broadcast) -> str:
        return phones_masked(broadcast.error_title, (broadcast.address,))


@admin.register(BroadcastLog)
class BroadcastLogAdmin(PersonalDataAdminMixin, AuditAdmin):
    list_display = ["id", "broadcast", "kind", "attempt", "status", "response_status", "error_code", "created_at"]
    list_filter = ["kind", "status", "error_code"]
    search_fields = ["broadcast__wamid", "broadcast__address"]
    raw_id_fields = ["broadcast", "session"]
    masked_fields = ("request", "response_body", "message", "error_title")

    @admin.display(description="Request")
    def request_masked(self, log: BroadcastLog) -> str:
        return pretty_json(phones_masked(log.request, (log.broadcast.address,)))

    @admin.display(description="Response body")
    def response_body_masked(self, log: BroadcastLog) -> str:
        return phones_masked(log.response_body, (log.broadcast.address,))

    @admin.display(description="Message")
    def message_masked(self, log: BroadcastLog) -> str:
        return phones_masked(log.message, (log.broadcast.address,))

    @admin.display(description="Error title")
    def error_title_masked(self, log: BroadcastLog) -> str:
        return phones_masked(log.error_title, (log.broadcast.address,))


@admin.register(Erasure)
class ErasureAdmin(AuditAdmin):
    """Who was erased is never recorded: only that an erasure happened, where, and how many rows it changed."""

    list_display = ["id", "app", "erased_at", "requested_by", "counts"]
    list_filter = ["app"]
    date_hierarchy = "erased_at"
