"""Base admin classes for what the gateway records: operators read it, nobody edits or deletes it in the admin."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the gateway itself (inbound messages); an operator may still delete one."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AuditAdmin(ReadOnlyAdmin):
    """The audit trail (sessions, broadcasts, logs, webhook events, erasures): no delete for anyone.

    Without the delete permission Django also drops the "Delete selected" action, and refuses to delete an
    app or a transport from the admin while any of these rows would go with it (a session's counts must
    keep adding up). Retention (`purge_data`) is the only way such rows leave.
    """

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
