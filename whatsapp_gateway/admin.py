from django.contrib import admin, messages
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from whatsapp_gateway.models import App, AppAPIKey
from whatsapp_gateway.services import api_key_create


class APIKeyInline(admin.TabularInline):
    model = AppAPIKey
    fields = ["name", "prefix", "created", "expiry_date", "revoked"]
    readonly_fields = ["name", "prefix", "created"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # keys are made by the action, which shows the key once


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [APIKeyInline]
    actions = ["create_api_key"]

    @admin.action(description="Create an API key (shown once)")
    def create_api_key(self, request, queryset):
        for app in queryset:
            _, key = api_key_create(app=app, name=f"admin:{request.user.get_username()}")
            messages.warning(
                request, f"New API key for {app.name}: {key} — copy it now, it will not be shown again."
            )


@admin.register(AppAPIKey)
class AppAPIKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "app"]
    list_filter = [*APIKeyModelAdmin.list_filter, "app"]
    search_fields = [*APIKeyModelAdmin.search_fields, "app__name"]


# The library's own keys belong to no app and open nothing here; the admin shows only App API keys.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)
