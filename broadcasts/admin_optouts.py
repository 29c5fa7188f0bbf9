"""The opt-out list in the admin: add, remove, CSV import and export, per app."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from broadcasts.admin_masking import sees_personal_data
from broadcasts.models import OptOut
from broadcasts.services.optouts import OptOutError, optout_address, optout_create, optout_delete, optouts_export
from broadcasts.services.optouts import optouts_import as optouts_import_csv
from transports.redaction import mask_phone
from whatsapp_gateway.models import App


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ["app", "address", "scope", "reason"]
        help_texts = {"address": 'A phone number in any format ("+1 202 555 0101") or a BSUID.'}

    def clean_address(self):
        try:
            return optout_address(self.cleaned_data["address"])
        except OptOutError as error:
            raise forms.ValidationError(error.message.removeprefix("address: ")) from None


class OptOutImportForm(forms.Form):
    app = forms.ModelChoiceField(queryset=App.objects.order_by("name"))
    file = forms.FileField(help_text="CSV with an address column, and optionally scope (marketing or all) and reason.")


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    form = OptOutForm
    list_display = ["address", "app", "scope", "source", "reason", "created_at"]
    list_filter = ["scope", "source", "app"]
    search_fields = ["address", "reason"]
    list_select_related = ["app"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "remove_optouts"]
    change_list_template = "admin/broadcasts/optout/change_list.html"

    @admin.display(description="Address", ordering="address")
    def address_masked(self, optout: OptOut) -> str:
        return mask_phone(optout.address)

    def get_list_display(self, request):
        # Full numbers only for operators with the personal-data permission (admin_masking.py).
        shown = "address" if sees_personal_data(request) else "address_masked"
        return [shown if name == "address" else name for name in super().get_list_display(request)]

    def get_readonly_fields(self, request, obj=None):
        # An opt-out is added or removed, never edited: another scope is a new one (it widens the old).
        shown = "address" if sees_personal_data(request) else "address_masked"
        return ["app", shown, "scope", "reason", "source", "created_at"] if obj else []

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) if obj else ["app", "address", "scope", "reason"]

    def save_model(self, request, obj, form, change):
        optout, _ = optout_create(
            app=obj.app, address=obj.address, scope=obj.scope, reason=obj.reason, source=OptOut.Source.ADMIN
        )
        obj.pk, obj.created_at, obj.source = optout.pk, optout.created_at, optout.source

    def delete_model(self, request, obj):
        optout_delete(optout=obj)

    def delete_queryset(self, request, queryset):
        for optout in queryset:
            optout_delete(optout=optout)

    @admin.action(description="Export the selected opt-outs as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(optouts_export(optouts=queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="opt-outs.csv"'
        return response

    @admin.action(description="Remove the selected opt-outs (send to them again)", permissions=["delete"])
    def remove_optouts(self, request, queryset):
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, f"{count} opt-out(s) removed.", messages.SUCCESS)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="broadcasts_optout_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect(reverse("admin:broadcasts_optout_changelist"))
        form = OptOutImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace")
            added, problems = optouts_import_csv(app=form.cleaned_data["app"], text=text)
            if not problems:
                self.message_user(request, f"{added} opt-out(s) added.", messages.SUCCESS)
                return redirect(reverse("admin:broadcasts_optout_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "problems": problems,
                   "opts": self.model._meta, "title": "Import opt-outs"}
        return render(request, "admin/broadcasts/optout/import.html", context)
