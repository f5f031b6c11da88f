"""Admin: the catalogue is edited (constraints validated, no 500); programs and items are read-only."""

from __future__ import annotations

from django.test import Client

from kycuong.workplans.models import ProductType

from .factories import item, week_of


def test_admin_pages_and_catalogue_constraints(org):
    c = Client()
    c.force_login(org.user("admin"))
    week = week_of(org, items=1)
    it = week.items.get()
    for url in ("/quan-tri/workplans/producttype/", "/quan-tri/workplans/program/", "/quan-tri/workplans/workitem/",
                f"/quan-tri/workplans/workitem/{it.pk}/change/", "/quan-tri/workplans/itemtemplate/",
                "/quan-tri/workplans/programpolicy/"):
        assert c.get(url).status_code == 200, url
    assert c.get("/quan-tri/workplans/workitem/add/").status_code == 403
    r = c.post("/quan-tri/workplans/producttype/add/", {"unit": org.ward_a.pk, "code": "X", "name": "X", "factor": "0",
                                                      "is_active": "on"})
    assert r.status_code == 200 and not ProductType.objects.filter(code="X").exists()
    r = c.post("/quan-tri/workplans/producttype/add/", {"unit": org.ward_a.pk, "code": "X", "name": "X", "factor": "1.5",
                                                      "is_active": "on"})
    assert r.status_code == 302 and ProductType.objects.filter(code="X").exists()
    assert item  # factories used by other tests too
