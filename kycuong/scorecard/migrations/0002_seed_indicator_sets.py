"""Seed the built-in indicator sets: `dvc766` (docs/scorecard.md) and `kycuong` (Hanoi discipline)."""

from django.db import migrations

DVC766 = {
    "code": "dvc766",
    "name_vi": "Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, doanh nghiệp",
    "name_en": "Index of service to citizens and businesses (Decision 766/QĐ-TTg)",
    "version": "766/2022",
    "legal_basis": "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ",
    "is_public": True,
}
DVC766_GROUPS = {
    "transparency": "Công khai, minh bạch",
    "progress": "Tiến độ, kết quả giải quyết",
    "online": "Dịch vụ công trực tuyến",
    "payment": "Thanh toán trực tuyến",
    "satisfaction": "Mức độ hài lòng",
    "digitization": "Số hóa hồ sơ",
}
# code, group, name_vi, name_en, max_points, formula, thresholds
DVC766_INDICATORS = [
    ("transparency.catalog", "transparency", "Công khai đầy đủ thông tin thủ tục hành chính",
     "Procedures with complete public data", 6, "procedures.catalog", {}),
    ("transparency.sync", "transparency", "Hồ sơ được đồng bộ lên Cổng Dịch vụ công quốc gia",
     "Dossiers synchronised to the national portal", 12, "dossiers.sync", {}),
    ("progress.on_time", "progress", "Hồ sơ giải quyết đúng hạn", "Dossiers processed on time", 20,
     "dossiers.on_time", {}),
    ("online.procedures", "online", "Thủ tục cung cấp dịch vụ công trực tuyến (toàn trình, một phần)",
     "Procedures offered online (full or partial)", 6, "procedures.online", {"full_at": 0.8}),
    ("online.submission", "online", "Hồ sơ nộp trực tuyến", "Dossiers submitted online", 6,
     "dossiers.online_submission", {"full_at": 0.5}),
    ("payment.online", "payment", "Hồ sơ thanh toán phí, lệ phí trực tuyến", "Fees paid online", 10,
     "dossiers.online_payment", {"full_at": 0.8}),
    ("satisfaction.dossiers", "satisfaction", "Mức độ hài lòng trong giải quyết thủ tục hành chính",
     "Satisfaction with dossier handling", 6, "dossiers.satisfaction", {"full_at": 0.9}),
    ("satisfaction.feedback_on_time", "satisfaction", "Phản ánh, kiến nghị được xử lý đúng hạn",
     "Feedback handled on time", 6, "feedback.on_time", {}),
    ("satisfaction.feedback", "satisfaction", "Mức độ hài lòng trong xử lý phản ánh, kiến nghị",
     "Satisfaction with feedback handling", 6, "feedback.satisfaction", {}),
    ("digitization.input", "digitization", "Số hóa thành phần hồ sơ khi tiếp nhận",
     "Input documents digitised at intake", 11, "dossiers.digitized_input", {"full_at": 0.8}),
    ("digitization.result", "digitization", "Kết quả giải quyết được cấp bản điện tử",
     "Results issued electronically", 11, "dossiers.digitized_result", {"full_at": 0.8}),
]

KYCUONG = {
    "code": "kycuong",
    "name_vi": "Bộ chỉ số kỷ luật, kỷ cương hành chính",
    "name_en": "Administrative discipline index",
    "version": "2026.1",
    "legal_basis": "Chỉ thị 2018 của UBND Thành phố về kỷ luật, kỷ cương hành chính; Quyết định 3814-QĐ/TU",
    "is_public": False,
}
KYCUONG_GROUPS = {
    "attendance": "Chấp hành thời giờ làm việc",
    "feedback": "Xử lý phản ánh, kiến nghị",
    "workplan": "Chương trình công tác",
    "inspection": "Kiểm tra công vụ",
}
KYCUONG_INDICATORS = [
    ("attendance.compliance", "attendance", "Ngày công chấp hành đúng giờ làm việc",
     "Working days with on-time attendance", 25, "attendance.compliance", {}),
    ("attendance.no_unjustified_absence", "attendance", "Không nghỉ làm việc không lý do",
     "No unjustified absence", 15, "attendance.no_unjustified_absence", {}),
    ("feedback.on_time", "feedback", "Phản ánh, kiến nghị được xử lý đúng hạn", "Feedback handled on time", 20,
     "feedback.on_time", {}),
    ("workplan.completion", "workplan", "Hoàn thành nhiệm vụ trong chương trình công tác",
     "Work-program items completed on time", 20, "workplans.completion", {}),
    ("inspection.coverage", "inspection", "Được kiểm tra công vụ đủ số lần theo quy định",
     "Inspection coverage", 10, "inspections.coverage", {}),
    ("inspection.no_violation", "inspection", "Không có vi phạm qua kiểm tra công vụ",
     "No violations found by inspections", 10, "inspections.no_violation", {}),
]


def seed(apps, schema_editor):
    IndicatorSet = apps.get_model("scorecard", "IndicatorSet")
    Indicator = apps.get_model("scorecard", "Indicator")
    RefreshState = apps.get_model("scorecard", "RefreshState")
    for spec, groups, indicators in ((DVC766, DVC766_GROUPS, DVC766_INDICATORS),
                                     (KYCUONG, KYCUONG_GROUPS, KYCUONG_INDICATORS)):
        iset, _ = IndicatorSet.objects.update_or_create(code=spec["code"], defaults=spec)
        for order, (code, group, name_vi, name_en, max_points, formula, thresholds) in enumerate(indicators, start=1):
            Indicator.objects.update_or_create(
                indicator_set=iset, code=code,
                defaults={"group": group, "group_name_vi": groups[group], "name_vi": name_vi, "name_en": name_en,
                          "max_points": max_points, "formula": formula, "thresholds": thresholds, "order": order})
    RefreshState.objects.get_or_create(key="current")


def unseed(apps, schema_editor):
    apps.get_model("scorecard", "IndicatorSet").objects.filter(code__in=["dvc766", "kycuong"]).delete()


class Migration(migrations.Migration):
    dependencies = [("scorecard", "0001_scorecard_initial")]
    operations = [migrations.RunPython(seed, unseed)]
