from __future__ import annotations

import calendar as pycal
import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from kycuong.core.errors import DomainError
from kycuong.org.scoping import scope_for

from .engine import vn_public_holidays
from .models import CalendarOverride, OverrideKind
from .services import calendar_for, calendar_override_set


class OverrideForm(forms.Form):
    date = forms.DateField(label=_("Ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Loại"), choices=OverrideKind.choices)
    reason = forms.CharField(label=_("Lý do"), max_length=255, help_text=_("Ví dụ: Thông báo số .../TB-UBND về nghỉ bù"))


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    try:
        year = int(request.GET.get("year", dt.date.today().year))
    except ValueError:
        year = dt.date.today().year
    year = min(max(year, 2015), 2040)
    can_edit = scope_for(request.user).manages_all
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and can_edit and form.is_valid():
        try:
            calendar_override_set(date=form.cleaned_data["date"], kind=form.cleaned_data["kind"],
                                  reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(request, _("Đã lưu điều chỉnh lịch."))
            return redirect(f"{request.path}?year={form.cleaned_data['date'].year}")
        except DomainError as exc:
            form.add_error(None, str(exc.message))
    cal = calendar_for(None)
    names, swapped = vn_public_holidays([year])
    overrides = {o.date: o for o in CalendarOverride.objects.filter(unit__isnull=True, date__year=year)}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycal.Calendar().monthdatescalendar(year, month):
            days = []
            for d in week:
                days.append({"date": d, "in_month": d.month == month, "working": cal.is_working_day(d),
                             "holiday": names.get(d), "swapped": d in swapped, "override": overrides.get(d)})
            weeks.append(days)
        months.append({"number": month, "weeks": weeks})
    return render(request, "workdays/calendar.html", {
        "year": year, "months": months, "holidays": sorted(names.items()), "swapped": sorted(swapped),
        "overrides": sorted(overrides.values(), key=lambda o: o.date), "form": form, "can_edit": can_edit,
    })
