"""The admin's "New campaign" (`/admin/broadcasts/session/add/`): form → preview with a test send → confirm.

Step 1 checks the message and every recipient with the sending services (`message_check`,
`audience_from_csv`) and lists the rejected rows. The recipients' CSV is kept in a temporary file,
named by a token in the operator's admin session, until *Confirm* hands it to `session_create`,
which checks everything again and stores the session: nothing is stored before. Needs
`broadcasts.add_session`; numbers are masked for staff without the personal-data permission.
"""

import csv
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from broadcasts.admin_campaign_forms import CampaignForm, ChooseForm, campaign_templates, numbers_as_csv
from broadcasts.admin_campaign_render import template_texts
from broadcasts.admin_masking import sees_personal_data
from broadcasts.services.audiences import CSVRecipients, audience_from_csv
from broadcasts.services.costs import audience_estimated_cost, cost_basis_build
from broadcasts.services.errors import SessionError
from broadcasts.services.exports import cell_neutralised
from broadcasts.services.manual_sends import send_test_message, test_result_describe
from broadcasts.services.marketing import session_marketing_messages_check
from broadcasts.services.optouts import optouts_among
from broadcasts.services.sessions import session_create
from broadcasts.services.validation import message_check
from templates.models import Template
from transports.addresses import AddressError
from transports.redaction import mask_phone, numbers_masked
from transports.whatsapp.payloads import meta_merged

SESSION_KEY = "new_campaigns"
FILES = Path(tempfile.gettempdir()) / "wg-new-campaigns"
KEEP_SECONDS = 24 * 3600
PREVIEW_RECIPIENTS = 3
REJECTED_SHOWN = 100


def campaign_add_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    token = request.GET.get("campaign") or ""
    state = request.session.get(SESSION_KEY, {}).get(token)
    if token and state is None:
        messages.error(request, "That campaign draft has expired: start again.")
        return HttpResponseRedirect(request.path)
    if state and request.GET.get("download") == "rejected":
        return _rejected_csv(request, state)
    if state and state.get("ready"):
        return _preview(model_admin, request, token, state)
    return _form(model_admin, request)


def _context(model_admin, request, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request), "title": "New campaign", "opts": model_admin.model._meta,
        **extra,
    }


def _form(model_admin, request):
    source = request.POST if request.method == "POST" else request.GET
    choose = ChooseForm(source or None)
    if not choose.is_valid():
        return TemplateResponse(request, "admin/broadcasts/session/campaign_form.html", _context(
            model_admin, request, choose=choose, templates_available=campaign_templates().exists(),
        ))
    template = choose.cleaned_data["template"]
    form = CampaignForm(request.POST or None, request.FILES or None, template=template, initial=source.dict())
    rejected, token = None, ""
    if request.method == "POST" and form.is_valid():
        token, rejected, error = _check(request, form)
        if error:
            form.add_error(error[0], error[1])
        elif not rejected or form.cleaned_data["skip_invalid"]:
            return HttpResponseRedirect(f"{request.path}?campaign={token}")
    return TemplateResponse(request, "admin/broadcasts/session/campaign_form.html", _context(
        model_admin, request, choose=choose, form=form, template=template, body=template_texts(template),
        rejected=rejected, rejected_shown=(rejected or [])[:REJECTED_SHOWN], token=token,
    ))


def _check(request, form: CampaignForm):
    """(token, rejected rows masked for this user or None, (field, error) or None): the services' verdict."""
    data, transport = form.cleaned_data, form.cleaned_data["transport"]
    message = form.message()
    checked = message_check(transport=transport, message=message)
    if checked.errors:
        return "", None, (None, "; ".join(checked.errors))
    try:  # what session_create refuses, said before the file is read
        session_marketing_messages_check(transport=transport, template=checked.template)
    except SessionError as error:
        return "", None, (None, error.message.removeprefix("transport: "))
    drafts = request.session.setdefault(SESSION_KEY, {})
    token = data.get("campaign") if data.get("campaign") in drafts else ""
    if data.get("recipients_csv") or (data.get("numbers") or "").strip() or not token:
        token = _file_store(request, form)
    state = drafts[token]
    path = Path(state["path"])
    try:
        with path.open("rb") as file:
            audience = audience_from_csv(
                file=file, transport=transport, message=message, checked_message=checked,
                address_column=state["address_column"], columns=form.columns(),
            )
    except SessionError as error:
        return token, None, (None, error.message)
    masked = not sees_personal_data(request)
    rejected = [{**row, "address": mask_phone(row["address"]) if masked else row["address"],
                 "error": numbers_masked(row["error"]) if masked else row["error"]} for row in audience.rejected]
    send_at = form.send_at_aware()
    suppressed = optouts_among(app=transport.app, template=checked.template, addresses=(a for a, _ in audience.valid))
    state.update({
        "columns": form.columns(), "transport": transport.pk, "template": form.template.pk, "message": message,
        "send_at": send_at.isoformat() if send_at else None, "skip_invalid": bool(data["skip_invalid"]),
        "counts": _counts(audience, suppressed=len(suppressed)),
        "first": audience.valid[:PREVIEW_RECIPIENTS], "rejected_path": _rejected_store(path, rejected),
        "ready": not rejected or bool(data["skip_invalid"]),
        "cost_basis": cost_basis_build(  # what will be sent: the opted-out are never charged
            transport=transport, category=form.template.category,
            addresses=(a for a, _ in audience.valid if a not in suppressed),
        ),
    })
    request.session.modified = True
    return token, rejected, None


def _counts(audience, *, suppressed: int) -> dict:
    """The preview's counts: valid rows, rejected rows, merged duplicates, and the valid ones on the opt-out list."""
    return {
        "valid": len(audience.valid), "invalid": len(audience.rejected), "duplicates": audience.duplicates,
        "suppressed": suppressed, "to_send": len(audience.valid) - suppressed,
    }


def _file_store(request, form: CampaignForm) -> str:
    """Keep the upload (or the pasted numbers as a CSV) in a temporary file named by a new token."""
    FILES.mkdir(mode=0o700, exist_ok=True)
    for old in FILES.iterdir():
        if old.stat().st_mtime < time.time() - KEEP_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16)
    path = FILES / f"{token}.csv"
    upload = form.cleaned_data.get("recipients_csv")
    with path.open("wb") as target:
        if upload:
            for chunk in upload.chunks():
                target.write(chunk)
        else:
            target.write(numbers_as_csv(form.cleaned_data["numbers"]))
    address_column = form.cleaned_data["address_column"] if upload else "phone"
    request.session[SESSION_KEY][token] = {"path": str(path), "address_column": address_column}
    request.session.modified = True
    return token


def _preview(model_admin, request, token: str, state: dict):
    template = Template.objects.select_related("transport__app").filter(pk=state["template"]).first()
    if template is None:
        _forget(request, token)
        messages.error(request, "The campaign's template is gone (deleted at Meta?): start again.")
        return HttpResponseRedirect(request.path)
    transport = template.transport
    masked = not sees_personal_data(request)
    if request.method == "POST" and "_confirm" in request.POST:
        return _confirm(model_admin, request, token, state, transport)
    test_to = request.POST.get("to") or settings.DEV_PHONE
    if request.method == "POST" and "_test" in request.POST:
        _test_send(request, transport, template, state, test_to)
    samples = []
    for address, params in state["first"]:
        texts = template_texts(template, meta_merged(state["message"]["meta"], params))
        if masked:  # a row's values may hold numbers too, as params do elsewhere
            address, texts = mask_phone(address), {
                kind: [numbers_masked(t) for t in text] if isinstance(text, list) else numbers_masked(text)
                for kind, text in texts.items()
            }
        samples.append({"address": address, **texts})
    counts = state["counts"]
    seconds = counts.get("to_send", counts["valid"]) / transport.rate_limit if transport.rate_limit else 0
    return TemplateResponse(request, "admin/broadcasts/session/campaign_preview.html", _context(
        model_admin, request, template=template, transport=transport, samples=samples, counts=counts,
        duration=_duration(seconds), send_at=parse_datetime(state["send_at"]) if state["send_at"] else None,
        test_to=test_to, token=token, back=request.path,
        estimated_cost=audience_estimated_cost(transport=transport, basis=state.get("cost_basis") or {}),
    ))


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _test_send(request, transport, template: Template, state: dict, to: str) -> None:
    """One message to `to` with the first recipient's values, through the transport's test send."""
    params = state["first"][0][1] if state["first"] else {}
    meta = meta_merged(state["message"]["meta"], params)
    values = meta.get("parameters") or []
    if isinstance(values, dict):
        values = [f"{name}={value}" for name, value in values.items()]
    try:
        result, session = send_test_message(
            transport=transport, to=to, template=template.name, language=template.language, params=values,
            header=meta.get("header"), buttons=meta.get("buttons"),
        )
    except (AddressError, ValueError) as error:
        messages.error(request, f"Test send: {error}")
        return
    level = messages.SUCCESS if result.ok else messages.ERROR
    messages.add_message(request, level, f"Test send: {test_result_describe(result)} (test session {session.pk}).")


def _confirm(model_admin, request, token: str, state: dict, transport):
    send_at = parse_datetime(state["send_at"]) if state["send_at"] else None
    try:
        with open(state["path"], "rb") as file:
            created = session_create(
                app=transport.app, transport_id=transport.pk, message=state["message"],
                recipients=CSVRecipients(file=file, address_column=state["address_column"], columns=state["columns"]),
                skip_invalid=state["skip_invalid"], send_at=send_at,
            )
    except (SessionError, OSError) as error:
        messages.error(request, f"Not created: {getattr(error, 'message', error)}")
        return HttpResponseRedirect(f"{request.path}?campaign={token}")
    _forget(request, token)
    session = created.session
    messages.success(request, f"Session {session.pk} created: {session.total} recipients, {session.status}.")
    for warning in created.warnings:
        messages.warning(request, warning["detail"])
    return HttpResponseRedirect(reverse("admin:broadcasts_session_change", args=[session.pk]))


def _forget(request, token: str) -> None:
    state = request.session.get(SESSION_KEY, {}).pop(token, None) or {}
    request.session.modified = True
    for key in ("path", "rejected_path"):
        if state.get(key):
            Path(state[key]).unlink(missing_ok=True)


def _rejected_store(path: Path, rejected: list[dict]) -> str:
    """The rejected rows (row, value, reason) as a CSV next to the upload, masked as the page shows them."""
    out = path.with_suffix(".rejected.csv")
    with out.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["row", "value", "reason"])
        for row in rejected:
            writer.writerow([row["row"], cell_neutralised(row["address"]), cell_neutralised(row["error"])])
    return str(out)


def _rejected_csv(request, state: dict) -> HttpResponse:
    path = Path(state.get("rejected_path") or "")
    if not state.get("rejected_path") or not path.exists():
        return HttpResponse("No rejected rows.\n", content_type="text/plain; charset=utf-8", status=404)
    response = HttpResponse(path.read_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rejected-rows.csv"'
    return response


