"""Forms of the work program screens (validation of shape only: the rules live in the services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.core.periods import TZ
from kycuong.org.models import Staff

from .models import Completion, ProductType, WorkItem


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Nội dung công việc"), max_length=300)
    product_type: forms.ModelChoiceField[ProductType] = forms.ModelChoiceField(
        label=_("Sản phẩm"), queryset=ProductType.objects.none(), empty_label=None)
    quantity = forms.DecimalField(label=_("Số lượng"), max_digits=8, decimal_places=2, initial=Decimal("1"))
    due_date = forms.DateField(label=_("Hạn hoàn thành (ngày)"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(label=_("Giờ"), initial=dt.time(17), widget=forms.TimeInput(attrs={"type": "time"}))
    co_workers: forms.ModelMultipleChoiceField[Staff] = forms.ModelMultipleChoiceField(
        label=_("Người phối hợp"), queryset=Staff.objects.none(), required=False)
    parent: forms.ModelChoiceField[WorkItem] = forms.ModelChoiceField(
        label=_("Thuộc việc của đơn vị"), queryset=WorkItem.objects.none(), required=False, empty_label=_("(không)"))

    def __init__(self, *args: Any, product_types: Any, people: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_type"].queryset = product_types  # type: ignore[attr-defined]
        self.fields["co_workers"].queryset = people  # type: ignore[attr-defined]
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["parent"].label_from_instance = lambda i: f"{i.code} – {i.title}"  # type: ignore[attr-defined]

    def due_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["due_date"], self.cleaned_data["due_time"], tzinfo=TZ)


class CompleteForm(forms.Form):
    completion = forms.ChoiceField(label=_("Kết quả"), choices=Completion.choices)
    note = forms.CharField(label=_("Báo cáo kết quả"), required=False, widget=forms.TextInput)
    dossier = forms.CharField(label=_("Mã hồ sơ minh chứng"), required=False, max_length=60)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Ý kiến"), widget=forms.Textarea(attrs={"rows": 3}))


class UnitItemForm(ItemForm):
    """An item of the unit's program: the head chooses the presiding person."""

    owner: forms.ModelChoiceField[Staff] = forms.ModelChoiceField(
        label=_("Người chủ trì"), queryset=Staff.objects.none(), empty_label=None)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, people=people, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]
        self.order_fields(["title", "owner", "product_type", "quantity", "due_date", "due_time", "co_workers",
                           "parent"])


class RescheduleForm(forms.Form):
    new_due_date = forms.DateField(label=_("Hạn mới (ngày)"), widget=forms.DateInput(attrs={"type": "date"}))
    new_due_time = forms.TimeField(label=_("Giờ"), initial=dt.time(17), widget=forms.TimeInput(attrs={"type": "time"}))
    reason = forms.CharField(label=_("Lý do lùi hạn"), widget=forms.Textarea(attrs={"rows": 2}))
    objective_cause = forms.BooleanField(label=_("Do nguyên nhân khách quan (chờ thủ trưởng xác nhận)"), required=False)

    def new_due_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["new_due_date"], self.cleaned_data["new_due_time"], tzinfo=TZ)
