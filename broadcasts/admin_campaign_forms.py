"""The "New campaign" form: a transport, one of its APPROVED templates, a value or a CSV column per slot, recipients.

The form only gathers what the operator chose and turns it into a session's message; every check of
the message and of the recipients is the sending services' (audiences.py, validation.py, sessions.py).
"""

import csv
import io
import zoneinfo

from django import forms
from django.conf import settings
from django.utils import timezone

from broadcasts.admin_schedule import _zone_choices
from broadcasts.services.audiences import DEFAULT_ADDRESS_COLUMN
from templates.models import Template
from templates.requirements import requirements_of
from transports.models import Transport


def campaign_transports():
    """Active WhatsApp transports (those with a WABA, so they have templates)."""
    return Transport.objects.filter(is_active=True, config__has_key="businessAccountId").select_related("app")


def campaign_templates():
    return Template.objects.filter(
        status=Template.Status.APPROVED, transport__in=campaign_transports()
    ).select_related("transport").order_by("transport__name", "name", "language")


class TemplateChoice(forms.ModelChoiceField):
    def label_from_instance(self, template: Template) -> str:
        return f"{template.transport.name}: {template.name} · {template.language} · {template.category}"


class ChooseForm(forms.Form):
    """Step 1a: the transport and its template (the slots of the template decide the rest of the form)."""

    transport = forms.ModelChoiceField(queryset=campaign_transports(), help_text="Active WhatsApp transports.")
    template = TemplateChoice(
        queryset=campaign_templates(), help_text="APPROVED templates of that transport: name · language · category."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transport"].queryset = campaign_transports()
        self.fields["template"].queryset = campaign_templates()

    def clean(self):
        data = super().clean()
        if data.get("transport") and data.get("template") and data["template"].transport_id != data["transport"].pk:
            self.add_error("template", f"Not a template of {data['transport'].name}: pick one of its own.")
        return data


class CampaignForm(ChooseForm):
    """Step 1: everything; one value field (and, for named parameters, a CSV column field) per template slot."""

    recipients_csv = forms.FileField(
        required=False, label="Recipients CSV",
        help_text="UTF-8 (with or without BOM), `,` or `;` separated, first line the header.",
    )
    numbers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5, "cols": 40}), label="Or paste numbers",
        help_text="One number per line (used when no CSV is uploaded).",
    )
    address_column = forms.CharField(initial=DEFAULT_ADDRESS_COLUMN, help_text="The CSV column with the numbers.")
    send_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Empty: send at once. Else the date and time in the time zone below; SCHEDULED until then.",
    )
    time_zone = forms.ChoiceField(choices=_zone_choices, help_text="The time zone of send at.")
    skip_invalid = forms.BooleanField(required=False, label="Send to the valid rows only (skip the rejected ones)")
    campaign = forms.CharField(required=False, widget=forms.HiddenInput)  # a file already uploaded

    def __init__(self, *args, template: Template, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.requirements = requirements_of(template.components)
        self.fields["time_zone"].initial = settings.TIME_ZONE
        for name in self.requirements.header_variables:
            self.fields[f"header_{name}"] = forms.CharField(label=f"Header {{{{{name}}}}}")
        if self.requirements.needs_media:
            self.fields["header_link"] = forms.URLField(
                label=f"Header {self.requirements.header_format.lower()} link", assume_scheme="https"
            )
        for name in self.requirements.body_variables:
            self.fields[f"param_{name}"] = forms.CharField(
                required=False, label=f"Body {{{{{name}}}}}",
                help_text="A fixed value" + (" (used where the row's column is empty)." if self.named else "."),
            )
            if self.named:
                self.fields[f"column_{name}"] = forms.CharField(
                    required=False, label=f"… or the CSV column for {{{{{name}}}}}",
                    help_text=f"Each row's value from this column (a column named {name} is used by itself).",
                )

    @property
    def named(self) -> bool:
        return self.requirements.named

    @property
    def unsupported(self) -> list[str]:
        """Slots this form cannot fill (the API can)."""
        slots = [f"button {b.index}" for b in self.requirements.buttons if b.needs_parameter]
        if self.requirements.header_format == "LOCATION":
            slots.append("location header")
        return slots

    def clean(self):
        data = super().clean()
        if self.unsupported:
            raise forms.ValidationError(
                f"This form cannot fill the template's {', '.join(self.unsupported)}: send it through the API."
            )
        if not data.get("recipients_csv") and not (data.get("numbers") or "").strip() and not data.get("campaign"):
            self.add_error("recipients_csv", "Upload a CSV or paste at least one number.")
        for name in self.requirements.body_variables:
            if not data.get(f"param_{name}") and not data.get(f"column_{name}"):
                self.add_error(f"param_{name}", "Give a value" + (" or a CSV column." if self.named else "."))
        return data

    def send_at_aware(self):
        """send_at as the wall time in the chosen time zone (an aware datetime), or None."""
        send_at = self.cleaned_data.get("send_at")
        if not send_at:
            return None
        wall = timezone.make_naive(send_at)  # the form read it in the server's zone: take the wall time
        return wall.replace(tzinfo=zoneinfo.ZoneInfo(self.cleaned_data["time_zone"]))

    def columns_renamed(self) -> dict[str, str]:
        """CSV column → the named parameter it fills, where the names differ."""
        data = self.cleaned_data
        return {
            data[f"column_{name}"].strip(): name for name in self.requirements.body_variables
            if self.named and (data.get(f"column_{name}") or "").strip() and data[f"column_{name}"].strip() != name
        }

    def message(self) -> dict:
        """The session's message: the template, its fixed values and header."""
        data, req, template = self.cleaned_data, self.requirements, self.template
        meta = {"templateName": template.name, "language": template.language}
        values = {name: data.get(f"param_{name}") or "" for name in req.body_variables}
        if req.body_variables:
            meta["parameters"] = (
                # A column fills a named parameter the message has (an empty value: the row must give it).
                values if self.named else [values[n] for n in req.body_variables]
            )
        if req.header_variables:
            name = req.header_variables[0]
            meta["header"] = {"type": "text", "text": data[f"header_{name}"]}
            if self.named:
                meta["header"]["parameter_name"] = name
        elif req.needs_media:
            meta["header"] = {"type": req.header_format.lower(), "link": data["header_link"]}
        return {"content": "", "meta": meta}


def numbers_as_csv(text: str) -> bytes:
    """Pasted numbers (one a line) as a one-column CSV, so they are checked as an uploaded list is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([DEFAULT_ADDRESS_COLUMN])
    for line in text.splitlines():
        if line.strip():
            writer.writerow([line.strip()])
    return out.getvalue().encode()
