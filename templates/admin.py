from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from templates.models import Template, TemplateCategoryChange
from templates.requirements import requirements_of
from templates.services import TemplateError, template_delete, template_submit, templates_sync
from transports.admin import transport_admin_action
from whatsapp_gateway.api_input import JSONFormField


class TemplateSubmitForm(forms.ModelForm):
    """Submitting a template to Meta: our rules first, then Meta's answer, both shown on the form."""

    components = JSONFormField(
        help_text='e.g. [{"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["Ana"]]}}]'
    )

    class Meta:
        model = Template
        fields = ["transport", "name", "language", "category", "parameter_format", "components"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        definition = {
            key: cleaned.get(key) for key in ["name", "language", "category", "parameter_format", "components"]
        }
        try:
            # Submitting here, not in save_model, lets Meta's refusal show on the form like any other error.
            self.submitted = template_submit(transport=cleaned["transport"], definition=definition)
        except TemplateError as error:
            if not error.errors:
                self.add_error(None, error.message)
            for field, problems in error.errors.items():
                self.add_error(field if field in self.fields else None, problems)
        return cleaned


def sync_and_report(model_admin, request, transports) -> None:
    """Sync each transport's templates and tell the operator what changed (shared by the admin actions)."""
    for transport in transports:
        try:
            report = templates_sync(transport=transport)
        except TemplateError as error:
            model_admin.message_user(request, f"{transport}: sync failed: {error.message}", messages.ERROR)
        else:
            model_admin.message_user(
                request,
                f"{transport}: {report.created} new, {report.updated} updated, {report.deleted} deleted at Meta.",
            )
            for skipped in report.skipped:
                model_admin.message_user(
                    request,
                    f"{transport}: {skipped['name']} ({skipped['language']}) skipped: {skipped['reason']}",
                    messages.WARNING,
                )


@transport_admin_action
@admin.action(description="Sync message templates from Meta")
def sync_templates(model_admin, request, queryset):
    sync_and_report(model_admin, request, queryset)


class CategoryChangeInline(admin.TabularInline):
    """Meta's recategorisations, newest first: read-only history."""

    model = TemplateCategoryChange
    fields = readonly_fields = ["changed_at", "previous_category", "new_category", "source"]
    extra = 0
    can_delete = False
    verbose_name_plural = "Category changes by Meta"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "category", "status", "quality_score", "transport", "synced_at"]
    list_filter = ["status", "category", "language", "transport__app", "transport"]
    search_fields = ["name", "meta_id"]
    list_select_related = ["transport"]
    actions = ["sync_from_meta", "delete_at_meta"]

    def get_inlines(self, request, obj=None):
        return [CategoryChangeInline] if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TemplateSubmitForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return TemplateSubmitForm.Meta.fields
        return [
            "preview",
            "requires",
            "transport",
            "name",
            "language",
            "category",
            "status",
            "quality_score",
            "parameter_format",
            "rejected_reason",
            "meta_id",
            "components",
            "synced_at",
            "deleted_at_meta",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deleting goes through Meta: the "Delete at Meta" action

    def save_model(self, request, obj, form, change):
        if not change:
            obj.pk = form.submitted.pk
            obj.__dict__.update({k: v for k, v in form.submitted.__dict__.items() if not k.startswith("_")})

    @admin.display(description="Parameters each send must give")
    def requires(self, template):
        return requirements_of(template.components).describe()

    @admin.display(description="Preview")
    def preview(self, template):
        rows = []
        for component in template.components:
            kind = str(component.get("type", "")).upper()
            if kind == "BUTTONS":
                text = " | ".join(
                    f"[{b.get('type')}] {b.get('text', '')} {b.get('url', '')}".strip()
                    for b in component.get("buttons", [])
                )
            elif kind == "HEADER" and component.get("format", "TEXT") != "TEXT":
                text = f"({component.get('format')} media)"
            else:
                text = component.get("text", "")
            rows.append((kind, text))
        return format_html(
            '<table class="template-preview">{}</table>',
            format_html_join("", "<tr><th>{}</th><td style='white-space:pre-wrap'>{}</td></tr>", rows),
        )

    @admin.action(description="Sync templates of these transports from Meta")
    def sync_from_meta(self, request, queryset):
        sync_and_report(self, request, {template.transport for template in queryset})

    @admin.action(description="Delete at Meta (and here)")
    def delete_at_meta(self, request, queryset):
        for template in queryset.select_related("transport"):
            try:
                template_delete(template=template)
            except TemplateError as error:
                self.message_user(request, f"{template}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"Deleted {template} at Meta.")
