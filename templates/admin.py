from django.contrib import admin

from templates.models import Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "category", "status", "quality_score", "transport", "synced_at"]
    list_filter = ["status", "category", "language", "transport__app"]
    search_fields = ["name", "meta_id"]
    readonly_fields = ["meta_id", "synced_at", "deleted_at_meta", "created_at", "updated_at"]
    list_select_related = ["transport"]
