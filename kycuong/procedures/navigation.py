from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {"label": _("Thủ tục"), "url_name": "procedures:list", "roles": None, "order": 20},
]

PUBLIC_LINKS = [
    {"label": _("Thủ tục hành chính"), "url_name": "procedures:list",
     "hint": _("Thời hạn, phí, lệ phí, giấy tờ cần chuẩn bị"), "order": 10},
    {"label": _("Nộp hồ sơ trực tuyến"), "url_name": "citizen:online_start",
     "hint": _("Nộp hồ sơ, tải giấy tờ, nhận mã hồ sơ"), "order": 11},
    {"label": _("Tra cứu hồ sơ"), "url_name": "citizen:lookup",
     "hint": _("Theo mã hồ sơ và mã tra cứu trên phiếu hẹn"), "order": 12},
    {"label": _("Kiosk tra cứu"), "url_name": "citizen:kiosk", "hint": _("Màn hình cảm ứng tại bộ phận một cửa"), "order": 13},
]
