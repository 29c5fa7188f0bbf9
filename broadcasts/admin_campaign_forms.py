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
    """Step 1: everything; per template slot a fixed value field and a CSV column field (either, or both)."""

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
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
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
        self.slots: list[tuple[str, str, str]] = []  # (slot, its value field, its column field)
        req = self.requirements
        for name in req.header_variables[:1]:  # Meta's text header has one variable
            self._slot("header.text", "header_text", f"Header {{{{{name}}}}}")
        if req.needs_media:
            kind = req.header_format.lower()
            self._slot("header.link", "header_link", f"Header {kind} link", field=forms.URLField(
                required=False, assume_scheme="https", label=f"Header {kind} link",
                help_text="A public https link Meta downloads.",
            ))
            self._slot("header.id", "header_id", "… or its uploaded media id",
                       help_text="A media id uploaded to Meta (the phone number's /media).")
        for name in req.body_variables:
            self._slot(f"body.{name}", f"param_{name}", f"Body {{{{{name}}}}}")
        for button in req.buttons:
            if button.needs_parameter:
                what = "code" if button.sub_type == "COPY_CODE" else "URL suffix"
                self._slot(f"button.{button.index}", f"button_{button.index}",
                           f"Button {button.index + 1} ({button.sub_type.lower()}) {what}")
        # The template's slots first, then the recipients and when.
        self.order_fields(["transport", "template", *(n for _, value, column in self.slots for n in (value, column))])

    def _slot(self, slot: str, name: str, label: str, *, field=None, help_text: str = "A fixed value.") -> None:
        self.fields[name] = field or forms.CharField(required=False, label=label, help_text=help_text)
        self.fields[f"column_{name}"] = forms.CharField(
            required=False, label=f"… or the CSV column for {label[0].lower()}{label[1:]}",
            help_text="Each row's value from this column (the fixed value, if any, where a row's cell is empty).",
        )
        self.slots.append((slot, name, f"column_{name}"))

    @property
    def named(self) -> bool:
        return self.requirements.named

    @property
    def unsupported(self) -> list[str]:
        """Slots this form cannot fill (the API can)."""
        return ["location header"] if self.requirements.header_format == "LOCATION" else []

    def clean(self):
        data = super().clean()
        if self.unsupported:
            raise forms.ValidationError(
                f"This form cannot fill the template's {', '.join(self.unsupported)}: send it through the API."
            )
        if not data.get("recipients_csv") and not (data.get("numbers") or "").strip() and not data.get("campaign"):
            self.add_error("recipients_csv", "Upload a CSV or paste at least one number.")
        given = {slot: bool(data.get(value) or (data.get(column) or "").strip()) for slot, value, column in self.slots}
        if self.requirements.needs_media:
            if not given.pop("header.link") | given.pop("header.id"):
                self.add_error("header_link", "Give a link or a media id, or the CSV column of either.")
        for slot, value, _ in self.slots:
            if slot in given and not given[slot]:
                self.add_error(value, "Give a value or a CSV column.")
        return data

    def send_at_aware(self):
        """send_at as the wall time in the chosen time zone (an aware datetime), or None."""
        send_at = self.cleaned_data.get("send_at")
        if not send_at:
            return None
        wall = timezone.make_naive(send_at)  # the form read it in the server's zone: take the wall time
        return wall.replace(tzinfo=zoneinfo.ZoneInfo(self.cleaned_data["time_zone"]))

    def columns(self) -> dict[str, str]:
        """Template slot → the CSV column that fills it (broadcasts/services/slot_columns.py)."""
        data = self.cleaned_data
        return {slot: data[column].strip() for slot, _, column in self.slots if (data.get(column) or "").strip()}

    def message(self) -> dict:
        """The session's message: the template and its fixed values ("" where only a column gives one)."""
        data, req, template = self.cleaned_data, self.requirements, self.template
        meta = {"templateName": template.name, "language": template.language}
        values = {name: data.get(f"param_{name}") or "" for name in req.body_variables}
        if req.body_variables:
            meta["parameters"] = values if self.named else [values[n] for n in req.body_variables]
        if req.header_variables:
            meta["header"] = {"type": "text", "text": data.get("header_text") or ""}
            if self.named:
                meta["header"]["parameter_name"] = req.header_variables[0]
        elif req.needs_media:
            meta["header"] = {"type": req.header_format.lower()}
            by_id = data.get("header_id") or (data.get("column_header_id") and not data.get("header_link"))
            key = "id" if by_id else "link"
            meta["header"][key] = data.get(f"header_{key}") or ""
        buttons = []
        for button in req.buttons:
            if button.needs_parameter:
                value = data.get(f"button_{button.index}") or ""
                if button.sub_type == "COPY_CODE":
                    buttons.append({"type": "copy_code", "index": button.index, "code": value})
                else:
                    buttons.append({"type": "url", "index": button.index, "parameters": [value]})
        if buttons:
            meta["buttons"] = buttons
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
