"""The `kycuong` set's work-program placeholder becomes real indicators fed by
kycuong.workplans.selectors.figures (20 points in all, as before): personal programs submitted and
approved by the deadline (5), leaf items due in the period done on time (10), items not overdue (5)."""

from django.db import migrations

GROUP, GROUP_NAME = "workplan", "Chương trình công tác"
# code, name_vi, name_en, max_points, formula, order
INDICATORS = [
    ("workplan.programs_on_time", "Chương trình công tác tuần, tháng cá nhân được gửi và duyệt đúng hạn",
     "Personal weekly/monthly programs submitted and approved by the deadline", 5, "workplans.programs_on_time", 4),
    ("workplan.completion", "Công việc đến hạn được hoàn thành đúng hạn",
     "Work-program items due completed on time", 10, "workplans.completion", 5),
    ("workplan.not_overdue", "Công việc đến hạn không bị quá hạn",
     "Work-program items due not overdue", 5, "workplans.not_overdue", 6),
]
LATER = {"inspection.coverage": 7, "inspection.no_violation": 8}


def forward(apps, schema_editor):
    IndicatorSet = apps.get_model("scorecard", "IndicatorSet")
    Indicator = apps.get_model("scorecard", "Indicator")
    iset = IndicatorSet.objects.filter(code="kycuong").first()
    if iset is None:
        return
    for code, name_vi, name_en, max_points, formula, order in INDICATORS:
        Indicator.objects.update_or_create(
            indicator_set=iset, code=code,
            defaults={"group": GROUP, "group_name_vi": GROUP_NAME, "name_vi": name_vi, "name_en": name_en,
                      "max_points": max_points, "formula": formula, "thresholds": {}, "order": order})
    for code, order in LATER.items():
        Indicator.objects.filter(indicator_set=iset, code=code).update(order=order)


def backward(apps, schema_editor):
    IndicatorSet = apps.get_model("scorecard", "IndicatorSet")
    Indicator = apps.get_model("scorecard", "Indicator")
    iset = IndicatorSet.objects.filter(code="kycuong").first()
    if iset is None:
        return
    Indicator.objects.filter(indicator_set=iset, code__in=["workplan.programs_on_time", "workplan.not_overdue"]).delete()
    Indicator.objects.filter(indicator_set=iset, code="workplan.completion").update(
        name_vi="Hoàn thành nhiệm vụ trong chương trình công tác", name_en="Work-program items completed on time",
        max_points=20, order=4)
    for code, order in LATER.items():
        Indicator.objects.filter(indicator_set=iset, code=code).update(order=order - 2)


class Migration(migrations.Migration):
    dependencies = [("scorecard", "0002_seed_indicator_sets")]
    operations = [migrations.RunPython(forward, backward)]
