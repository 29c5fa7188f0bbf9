from django.contrib import admin

from transports.models import Transport


@admin.register(Transport)
class TransportAdmin(admin.ModelAdmin):
    list_display = ["name", "app", "kind", "is_active", "stopped_at", "created_at"]
    list_filter = ["kind", "is_active", ("stopped_at", admin.EmptyFieldListFilter), "app"]
    search_fields = ["name", "app__name"]
    readonly_fields = ["stopped_at", "stopped_reason", "created_at", "updated_at"]
    list_select_related = ["app"]
