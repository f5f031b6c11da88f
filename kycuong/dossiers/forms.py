"""Officer forms: counter intake and the action forms of the dossier page."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.periods import TZ
from kycuong.org.models import Staff, Unit, UnitKind
from kycuong.procedures.models import Procedure

from .models import FeePayment


class IntakeForm(forms.Form):
    """Applicant data at the counter; procedure-specific fields are added as `f_<name>`."""

    unit = forms.ModelChoiceField(label=_("Cơ quan giải quyết"), queryset=Unit.objects.none(),
                                  help_text=_("Hồ sơ được chuyển đến cơ quan có thẩm quyền giải quyết, "
                                              "không phụ thuộc nơi tiếp nhận."))
    name = forms.CharField(label=_("Họ và tên người nộp"), max_length=200)
    id_number = forms.CharField(label=_("Số định danh cá nhân"), max_length=12, required=False,
                                help_text=_("12 chữ số trên căn cước"))
    phone = forms.CharField(label=_("Số điện thoại"), max_length=12, required=False)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)
    fee_payment = forms.ChoiceField(label=_("Phí, lệ phí"), choices=FeePayment.choices, initial=FeePayment.NONE)
    digitized_input = forms.BooleanField(label=_("Đã số hóa thành phần hồ sơ"), required=False)

    def __init__(self, *args: Any, procedure: Procedure, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
        fee_field = cast(forms.ChoiceField, self.fields["fee_payment"])
        if not procedure.fee:
            fee_field.choices = [(FeePayment.NONE, FeePayment.NONE.label)]
        else:
            fee_field.choices = [(FeePayment.COUNTER, FeePayment.COUNTER.label),
                                 (FeePayment.ONLINE, FeePayment.ONLINE.label)]
            fee_field.initial = FeePayment.COUNTER
        for f in procedure.form_fields or []:
            label = f.get("label") or f["name"]
            required = bool(f.get("required"))
            kind = f.get("type", "text")
            if kind == "choice":
                field: forms.Field = forms.ChoiceField(label=label, required=required,
                                                       choices=[("", "—"), *[(c, c) for c in f.get("choices") or []]])
            elif kind == "date":
                field = forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))
            elif kind == "number":
                field = forms.DecimalField(label=label, required=required)
            else:
                field = forms.CharField(label=label, required=required, max_length=1000)
            self.fields[f"f_{f['name']}"] = field

    def applicant(self) -> dict[str, str]:
        d = self.cleaned_data
        return {k: d.get(k) or "" for k in ("name", "id_number", "phone", "email", "address")}

    def form_data(self) -> dict[str, Any]:
        out = {}
        for f in self.procedure.form_fields or []:
            value = self.cleaned_data.get(f"f_{f['name']}")
            if value not in (None, ""):
                out[f["name"]] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def procedure_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("f_")]

    def applicant_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if not name.startswith("f_")]


class _Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReasonForm(_Versioned):
    reason = forms.CharField(label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class NoteForm(_Versioned):
    note = forms.CharField(label=_("Ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


class EmptyForm(_Versioned):
    pass


class StaffField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return f"{obj.full_name} ({obj.code})"


class HandOverForm(_Versioned):
    to_staff = StaffField(label=_("Chuyển cho"), queryset=Staff.objects.none(), required=False,
                          help_text=_("Để trống: cán bộ đã được phân công cho bước tiếp theo"))
    note = forms.CharField(label=_("Ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_staff"]).queryset = staff if staff is not None else Staff.objects.none()


class AssignForm(_Versioned):
    assignee = StaffField(label=_("Cán bộ xử lý"), queryset=Staff.objects.none())

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = staff if staff is not None else Staff.objects.none()


class ReassignForm(_Versioned):
    accountable = StaffField(label=_("Cán bộ chịu trách nhiệm mới"), queryset=Staff.objects.none())
    reason = forms.CharField(label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["accountable"]).queryset = staff if staff is not None else Staff.objects.none()


class TransferForm(_Versioned):
    to_unit = forms.ModelChoiceField(
        label=_("Chuyển liên thông đến"),
        queryset=Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.WARD, UnitKind.COMMUNE, UnitKind.OFFICE])
        .order_by("path"))
    reason = forms.CharField(label=_("Nội dung"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                             max_length=2000)


class ApologizeForm(_Versioned):
    reason = forms.CharField(label=_("Lý do chậm trễ"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    new_due_at = forms.DateTimeField(label=_("Ngày hẹn trả mới"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def clean_new_due_at(self) -> dt.datetime:
        value = self.cleaned_data["new_due_at"]
        if value.tzinfo is None:
            value = value.replace(tzinfo=TZ)
        return value


class FinishForm(_Versioned):
    digitized_result = forms.BooleanField(label=_("Kết quả điện tử (đã số hóa)"), required=False)
    note = forms.CharField(label=_("Ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
