"""Forms for the public intake, the staff entry and the citizen's tracking actions."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kycuong.org.models import Unit, UnitKind

from .models import Category, Channel, Kind, Satisfaction
from .photos import MAX_PHOTOS


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the content checks happen in the service (photos.py)."""

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data if d]
        return [one(data, initial)] if data else []


class IntakeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Bạn muốn gửi"), choices=Kind.choices, widget=forms.RadioSelect, initial=Kind.FEEDBACK)
    category = forms.ModelChoiceField(label=_("Lĩnh vực"), queryset=Category.objects.none(), empty_label=_("— Chọn lĩnh vực —"))
    title = forms.CharField(label=_("Tiêu đề ngắn"), max_length=200, required=False,
                            help_text=_("Ví dụ: Đèn đường hỏng ở ngõ 12 Đội Cấn"))
    description = forms.CharField(label=_("Nội dung"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("Mô tả sự việc hoặc câu hỏi. Không cần ghi số định danh cá nhân."))
    place = forms.ModelChoiceField(label=_("Phường, xã nơi xảy ra"), queryset=Unit.objects.none(), required=False,
                                   empty_label=_("— Không rõ —"))
    address = forms.CharField(label=_("Địa chỉ, vị trí"), max_length=300, required=False,
                              help_text=_("Số nhà, tên đường, ngõ, địa danh gần đó"))
    lat = forms.DecimalField(label=_("Vĩ độ"), required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    long = forms.DecimalField(label=_("Kinh độ"), required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180)
    photos = MultipleFileField(label=_("Ảnh chụp (không bắt buộc)"), required=False,
                             widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
                             help_text=_("Tối đa %(n)d ảnh JPEG, PNG hoặc WEBP, mỗi ảnh không quá 5 MB.") % {"n": MAX_PHOTOS})
    is_anonymous = forms.BooleanField(label=_("Gửi ẩn danh (không để lại thông tin liên hệ)"), required=False)
    reporter_name = forms.CharField(label=_("Họ và tên"), max_length=150, required=False)
    reporter_phone = forms.CharField(label=_("Số điện thoại"), max_length=20, required=False)
    reporter_email = forms.EmailField(label=_("Thư điện tử"), required=False,
                                      help_text=_("Để nhận thông báo kết quả và đường dẫn theo dõi."))
    consent = forms.BooleanField(label=_("Tôi đồng ý cho cơ quan nhà nước dùng thông tin liên hệ trên để xử lý phản ánh này"),
                                 required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = (
            Category.objects.filter(is_active=True).order_by("order", "name"))
        cast(forms.ModelChoiceField, self.fields["place"]).queryset = (
            Unit.objects.filter(kind__in=[UnitKind.WARD, UnitKind.COMMUNE]).order_by("kind", "name"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        anonymous = data.get("is_anonymous")
        has_contact = any(data.get(f) for f in ("reporter_name", "reporter_phone", "reporter_email"))
        if not anonymous and has_contact and not data.get("consent"):
            self.add_error("consent", _("Hãy đánh dấu đồng ý, hoặc chọn gửi ẩn danh."))
        if (data.get("lat") is None) != (data.get("long") is None):
            self.add_error("lat", _("Cần cả vĩ độ và kinh độ, hoặc để trống cả hai."))
        return data


class StaffEntryForm(IntakeForm):
    channel = forms.ChoiceField(label=_("Kênh tiếp nhận"),
                                choices=[(Channel.HOTLINE, Channel.HOTLINE.label), (Channel.LETTER, Channel.LETTER.label)])
    field_order = ["channel", "kind", "category"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = _("Người dân đã được thông báo và đồng ý cho xử lý thông tin liên hệ")


class LookupForm(forms.Form):
    code = forms.CharField(label=_("Mã phản ánh"), max_length=20, help_text=_("Ví dụ: PA-2611-000123"))
    k = forms.CharField(label=_("Mã bí mật"), max_length=20, help_text=_("Gồm 8 ký tự, in trên phiếu hoặc gửi qua thư điện tử"))


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("Đánh giá của bạn"), choices=Satisfaction.choices, widget=forms.RadioSelect)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), min_length=10, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class SupplyInfoForm(forms.Form):
    text = forms.CharField(label=_("Thông tin bổ sung"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
