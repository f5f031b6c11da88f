"""Citizen pages: public lookup (/tra-cuu), online submission (/nop-truc-tuyen), kiosk (/kiosk).

Thin views over kycuong.dossiers.public (lookup, rate limit) and kycuong.dossiers.online
(submission, uploads). Citizen pages follow the one-thing-per-page pattern: labels above fields,
an error summary on top, a "check your answers" page, a confirmation with the code in large type.
"""

from __future__ import annotations

import string
from typing import Any, cast

from django import forms
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kycuong.core.errors import DomainError, NotFound
from kycuong.core.middleware import client_ip
from kycuong.core.text import fold
from kycuong.procedures.models import OnlineLevel, Procedure
from kycuong.procedures.selectors import (
    procedure_by_code,
    procedure_deciding_units,
    procedure_search,
    processing_time_label,
    sectors_with_counts,
)

from . import online
from .models import FeePayment
from .public import RateLimited, dossier_public_lookup, rate_limit_check

SESSION_DRAFT = "online_draft:%s"
#: Anonymous submissions and upload batches allowed per IP per hour (abuse guard).
SUBMIT_LIMIT = 20
UPLOAD_LIMIT = 60
TOO_MANY_SUBMISSIONS = gettext_lazy("Bạn đã gửi quá nhiều hồ sơ trong một giờ. Vui lòng thử lại sau.")
SESSION_DONE = "online_done"
KIOSK_IDLE_SECONDS = 60


# --- public lookup -----------------------------------------------------------------------------

def _lookup(request: HttpRequest, code: str, secret: str) -> tuple[Any, str, int]:
    """(dossier or None, error message, HTTP status) — one answer for every kind of miss."""
    if not code and not secret:
        return None, "", 200
    try:
        rate_limit_check(ip=client_ip(request))
        return dossier_public_lookup(code=code, secret=secret), "", 200
    except RateLimited as exc:
        return None, str(exc.message), 429
    except NotFound as exc:
        return None, str(exc.message), 404


@never_cache
def lookup(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("ma", "").strip()[:60]
    secret = request.GET.get("bm", "").strip()[:20]
    dossier, error, status = _lookup(request, code, secret)
    response = render(request, "dossiers/public/lookup.html",
                      {"dossier": dossier, "error": error, "code": code, "secret": secret}, status=status)
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- online submission ------------------------------------------------------------------------

class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; content and size are checked by kycuong.dossiers.online."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d] or None
        return super().clean(data, initial)


class ApplicantForm(forms.Form):
    """Applicant data, the deciding unit, fee payment, the procedure's own fields and files."""

    unit = forms.ChoiceField(label=gettext_lazy("Cơ quan giải quyết"),
                             help_text=gettext_lazy("Chọn phường, xã hoặc cơ quan sẽ giải quyết hồ sơ"))
    name = forms.CharField(label=gettext_lazy("Họ và tên người nộp"), max_length=200)
    id_number = forms.CharField(label=gettext_lazy("Số định danh cá nhân"), max_length=12, required=False,
                                help_text=gettext_lazy("12 chữ số trên thẻ căn cước"))
    phone = forms.CharField(label=gettext_lazy("Số điện thoại"), max_length=12,
                            help_text=gettext_lazy("Để cơ quan liên hệ khi cần bổ sung hồ sơ"))
    email = forms.EmailField(label=gettext_lazy("Thư điện tử"), required=False)
    address = forms.CharField(label=gettext_lazy("Địa chỉ liên hệ"), max_length=300, required=False)
    fee_payment = forms.ChoiceField(label=gettext_lazy("Cách nộp phí, lệ phí"), widget=forms.RadioSelect,
                                    choices=[(FeePayment.ONLINE, gettext_lazy("Nộp trực tuyến")),
                                             (FeePayment.COUNTER, gettext_lazy("Nộp tại quầy khi nhận kết quả"))])
    # django-stubs types the declared field as BaseForm.files; the form metaclass moves it to base_fields.
    files = MultipleFileField(label=gettext_lazy("Thành phần hồ sơ (tệp đính kèm)"), required=False,  # type: ignore[assignment]
                            widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
                            help_text=gettext_lazy("PDF, JPG hoặc PNG, mỗi tệp tối đa 10 MB, tối đa 10 tệp"))

    def __init__(self, *args: Any, procedure: Procedure, units: list[tuple[str, str]], has_files: bool = False,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        cast(forms.ChoiceField, self.fields["unit"]).choices = [("", _("— Chọn —")), *units]
        if len(units) == 1:
            self.fields["unit"].initial = units[0][0]
        if not procedure.fee:
            del self.fields["fee_payment"]
        self.extra_names: list[str] = []
        for f in procedure.form_fields or []:
            name = f"f_{f['name']}"
            self.extra_names.append(name)
            kind = f.get("type", "text")
            common = {"label": f["label"], "required": bool(f.get("required")), "help_text": f.get("hint", "")}
            if kind == "date":
                field: forms.Field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
            elif kind == "number":
                field = forms.DecimalField(**common)
            elif kind == "choice":
                field = forms.ChoiceField(choices=[("", _("— Chọn —")), *[(c, c) for c in f.get("choices", [])]], **common)
            else:
                field = forms.CharField(max_length=1000, **common)
            self.fields[name] = field
        self.has_files = has_files
        # Procedure fields after the applicant, files last.
        order = ["unit", "name", "id_number", "phone", "email", "address", *self.extra_names, "fee_payment", "files"]
        self.order_fields(order)

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip()
        if value and not (value.isdigit() and len(value) == 12):
            raise forms.ValidationError(_("Số định danh cá nhân gồm đúng 12 chữ số."))
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip().replace(" ", "")
        if not (value.isdigit() and 9 <= len(value) <= 11):
            raise forms.ValidationError(_("Số điện thoại gồm 9 đến 11 chữ số."))
        return value

    @property
    def applicant_fields(self) -> list[Any]:
        return [self[n] for n in ("name", "id_number", "phone", "email", "address")]

    @property
    def procedure_fields(self) -> list[Any]:
        return [self[n] for n in self.extra_names]


def online_procedures(q: str, sector: str | None) -> Any:
    return procedure_search(q, sector=sector).filter(online_level__in=[OnlineLevel.FULL, OnlineLevel.PARTIAL])


def online_start(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    sector = request.GET.get("linh-vuc", "").strip() or None
    page = Paginator(online_procedures(q, sector), 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "dossiers/public/online_start.html",
                  {"page": page, "q": q, "sector": sector or "", "sectors": sectors_with_counts(), "query": query.urlencode()})


def _online_procedure(code: str) -> Procedure:
    try:
        procedure = procedure_by_code(code)
    except NotFound as exc:
        raise Http404 from exc
    if not online.online_allowed(procedure):
        raise Http404
    return procedure


def _unit_choices(procedure: Procedure) -> list[tuple[str, str]]:
    return [(u.code, u.name) for u in procedure_deciding_units(procedure).order_by("name")]


@never_cache
@require_http_methods(["GET", "POST"])
def online_form(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _online_procedure(code)
    units = _unit_choices(procedure)
    key = SESSION_DRAFT % procedure.code
    draft = request.session.get(key) or {}
    if request.method == "POST":
        form = ApplicantForm(request.POST, request.FILES, procedure=procedure, units=units, has_files=bool(draft.get("files")))
        uploads = request.FILES.getlist("files")
        if uploads:
            try:
                rate_limit_check(ip=client_ip(request), bucket="upload", limit=UPLOAD_LIMIT, window=3600,
                                 message=TOO_MANY_SUBMISSIONS)
            except RateLimited as exc:
                form.add_error("files", str(exc.message))
        if form.is_valid():
            stored: list[online.StoredFile] = []
            try:
                if len(uploads) > online.MAX_FILES:
                    raise DomainError(_("Tối đa %(n)s tệp đính kèm.") % {"n": online.MAX_FILES})
                for upload in uploads:
                    stored.append(online.upload_store(file=upload, name=upload.name or ""))
            except DomainError as exc:
                for s in stored:
                    online.upload_discard(s)
                form.add_error("files", str(exc.message))
            if form.is_valid():
                previous = [online.StoredFile.from_dict(d) for d in draft.get("files", [])]
                if stored:
                    for s in previous:
                        online.upload_discard(s)
                files = stored or previous
                cleaned = form.cleaned_data
                values = {n[2:]: ("" if cleaned.get(n) in (None, "") else str(cleaned[n])) for n in form.extra_names}
                data = {k: str(v or "") for k, v in cleaned.items() if k != "files" and k not in form.extra_names}
                request.session[key] = {"data": data, "values": values,
                                        "files": [s.as_dict() for s in files]}
                return redirect("citizen:online_check", code=procedure.code)
    else:
        initial = dict(draft.get("data", {}))
        initial.update({f"f_{k}": v for k, v in draft.get("values", {}).items()})
        form = ApplicantForm(initial=initial or None, procedure=procedure, units=units, has_files=bool(draft.get("files")))
    return render(request, "dossiers/public/online_form.html", {
        "procedure": procedure, "form": form, "time_label": processing_time_label(procedure),
        "stored_files": draft.get("files", []),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def online_check(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _online_procedure(code)
    key = SESSION_DRAFT % procedure.code
    draft = request.session.get(key)
    if not draft:
        return redirect("citizen:online_form", code=procedure.code)
    data = draft["data"]
    unit = procedure_deciding_units(procedure).filter(code=data.get("unit")).first()
    if unit is None:
        return redirect("citizen:online_form", code=procedure.code)
    files = [online.StoredFile.from_dict(d) for d in draft.get("files", [])]
    if any(not default_storage.exists(f.path) for f in files):
        # The draft outlived its uploads (purged after two days): ask for the files again.
        draft["files"] = []
        request.session[key] = draft
        return redirect("citizen:online_form", code=procedure.code)
    error = ""
    if request.method == "POST":
        try:
            rate_limit_check(ip=client_ip(request), bucket="submit", limit=SUBMIT_LIMIT, window=3600,
                             message=TOO_MANY_SUBMISSIONS)
            dossier = online.dossier_submit_online(
                procedure=procedure, unit=unit,
                applicant={k: data.get(k, "") for k in ("name", "id_number", "phone", "email", "address")},
                form_data=draft.get("values", {}), files=files,
                fee_payment=data.get("fee_payment") or FeePayment.NONE,
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            del request.session[key]
            request.session[SESSION_DONE] = {"code": dossier.code, "secret": dossier.secret,
                                             "procedure": procedure.name, "unit": unit.name,
                                             "fee": procedure.fee, "fee_payment": data.get("fee_payment") or ""}
            return redirect("citizen:online_done")
    labels = {f["name"]: f["label"] for f in procedure.form_fields or []}
    answers = [(labels.get(k, k), v) for k, v in draft.get("values", {}).items() if v]
    fee_label = dict(FeePayment.choices).get(data.get("fee_payment") or FeePayment.NONE, "")
    return render(request, "dossiers/public/online_check.html", {
        "procedure": procedure, "unit": unit, "data": data, "answers": answers, "files": files, "error": error,
        "fee_label": fee_label, "time_label": processing_time_label(procedure),
    })


@never_cache
def online_done(request: HttpRequest) -> HttpResponse:
    done = request.session.get(SESSION_DONE)
    if not done:
        return redirect("citizen:online_start")
    lookup_url = reverse("citizen:lookup") + f"?ma={done['code']}&bm={done['secret']}"
    return render(request, "dossiers/public/online_done.html", {"done": done, "lookup_url": lookup_url})


# --- kiosk ------------------------------------------------------------------------------------

def _kiosk(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context = {"idle_seconds": KIOSK_IDLE_SECONDS, "kiosk_home": reverse("citizen:kiosk"), **context}
    return render(request, template, context, status=status)


def kiosk_home(request: HttpRequest) -> HttpResponse:
    return _kiosk(request, "dossiers/public/kiosk_home.html", {})


LETTERS = list(string.ascii_uppercase.replace("F", "").replace("J", "").replace("W", "").replace("Z", ""))
KIOSK_PAGE = 8


def _first_letter(name: str) -> str:
    folded = fold(name)
    if folded.startswith("thu tuc "):
        folded = folded[8:]
    return folded[:1].upper()


def kiosk_procedures(request: HttpRequest) -> HttpResponse:
    sector = request.GET.get("linh-vuc", "").strip()
    letter = request.GET.get("chu", "").strip().upper()[:1]
    if not sector:
        return _kiosk(request, "dossiers/public/kiosk_sectors.html", {"sectors": sectors_with_counts()})
    sector_obj = next((s for s in sectors_with_counts() if s.code == sector), None)
    if sector_obj is None:
        raise Http404
    rows = list(procedure_search("", sector=sector).only("code", "name", "online_level", "sector__name"))
    letters = sorted({_first_letter(p.name) for p in rows})
    if letter:
        rows = [p for p in rows if _first_letter(p.name) == letter]
    page = Paginator(rows, KIOSK_PAGE).get_page(request.GET.get("page"))
    return _kiosk(request, "dossiers/public/kiosk_procedures.html",
                  {"sector": sector_obj, "letters": letters, "letter": letter, "page": page})


def kiosk_procedure(request: HttpRequest, code: str) -> HttpResponse:
    try:
        procedure = procedure_by_code(code)
    except NotFound as exc:
        raise Http404 from exc
    return _kiosk(request, "dossiers/public/kiosk_procedure.html",
                  {"procedure": procedure, "time_label": processing_time_label(procedure), "steps": list(procedure.steps.all())})


KEYPAD = [list("123"), list("456"), list("789"), ["H", "0", "-"], list("PX.")]
KEYPAD_LETTERS = list("ABCDEFGHJKLMNPQRSTUVWXYZ")


@never_cache
def kiosk_lookup(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("ma", "").strip()[:60]
    secret = request.GET.get("bm", "").strip()[:20]
    dossier, error, status = _lookup(request, code, secret)
    return _kiosk(request, "dossiers/public/kiosk_lookup.html",
                  {"dossier": dossier, "error": error, "code": code, "secret": secret, "keypad": KEYPAD,
                   "letters": KEYPAD_LETTERS, "digits": list("1234567890")}, status=status)
