"""Staff-only views of a dossier's forms (01–05, HTML or PDF) and attachments.

A dossier is visible to staff whose scope covers its deciding unit, the unit that received it,
or the unit now holding it (kycuong.org.scoping); anyone else gets 404, as for a missing code.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kycuong.core.audit import personal_data_access_record
from kycuong.core.errors import NotFound

from . import documents
from .models import Attachment, Dossier


def dossier_for_staff(user: object, code: str) -> Dossier:
    """The dossier `code` if `user` may see it (the dossiers selector), else Http404 (no enumeration)."""
    from .selectors import dossier_for_user

    try:
        dossier = dossier_for_user(user=user, code=code)
    except NotFound as exc:
        raise Http404 from exc
    # Forms name the issuing body's parent ("UBND THÀNH PHỐ HÀ NỘI").
    return Dossier.objects.select_related(
        "procedure", "unit__parent", "received_unit__parent", "current_unit__parent", "accountable").get(pk=dossier.pk)


@login_required
def form_view(request: HttpRequest, code: str, form: str) -> HttpResponse:
    dossier = dossier_for_staff(request.user, code)
    try:
        doc = documents.form_build(dossier, form)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if request.GET.get("format") == "pdf":
        response = HttpResponse(documents.form_pdf(doc), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="mau-{form}-{dossier.code}.pdf"'
        return response
    return render(request, "dossiers/forms/form.html", {"doc": doc, "back_url": _dossier_url(dossier)})


def _dossier_url(dossier: Dossier) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("dossiers:detail", kwargs={"code": dossier.code})
    except NoReverseMatch:
        return ""


@login_required
def attachment_list(request: HttpRequest, code: str) -> HttpResponse:
    dossier = dossier_for_staff(request.user, code)
    rows = list(dossier.attachments.order_by("uploaded_at", "id"))
    return render(request, "dossiers/forms/_attachments.html", {"dossier": dossier, "attachments": rows})


@login_required
def attachment_download(request: HttpRequest, code: str, attachment_id: int) -> FileResponse:
    dossier = dossier_for_staff(request.user, code)
    att = Attachment.objects.filter(pk=attachment_id, dossier=dossier).first()
    name = att.file.name if att is not None else None
    if att is None or not name or not default_storage.exists(name):
        raise Http404
    personal_data_access_record(obj=dossier, fields=[f"attachment:{att.pk}"], actor=request.user,
                                purpose="xem thành phần hồ sơ")
    response = FileResponse(default_storage.open(name, "rb"), content_type=att.content_type,
                            as_attachment=True, filename=att.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
