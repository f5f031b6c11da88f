"""Edge cases of access scoping: who loses scope and who sees everything (issue 10, item 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kycuong.org.models import Membership, Role
from kycuong.org.scoping import forget_scope, scope_for
from kycuong.org.tests.factories import staff_with_role


def _fresh(user):
    forget_scope(user)
    return scope_for(user)


def test_a_deactivated_staff_member_loses_every_unit(org):
    staff = org.staff["officer_a"]
    assert _fresh(staff.user).allows(org.ward_a.pk)
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    scope = _fresh(staff.user)
    assert scope.is_empty and not scope.allows(org.ward_a.pk)


def test_a_membership_that_ended_yesterday_grants_nothing_today(org):
    staff = org.staff["officer_a"]
    today = timezone.localdate()
    Membership.objects.filter(staff=staff).update(active_to=today - dt.timedelta(days=1))
    assert _fresh(staff.user).is_empty
    # ... but it still did on the last day it was active (history as of its date)
    assert scope_for(staff.user, on=today - dt.timedelta(days=2)).allows(org.ward_a.pk)


def test_a_membership_ending_today_is_over_today_and_one_ending_tomorrow_still_counts(org):
    """active_to is exclusive: the day a membership ends it grants nothing."""
    staff = org.staff["officer_a"]
    today = timezone.localdate()
    Membership.objects.filter(staff=staff).update(active_to=today)
    assert _fresh(staff.user).is_empty
    Membership.objects.filter(staff=staff).update(active_to=today + dt.timedelta(days=1))
    assert _fresh(staff.user).allows(org.ward_a.pk)


def test_a_membership_starting_tomorrow_grants_nothing_yet(org):
    staff = org.staff["officer_a"]
    today = timezone.localdate()
    Membership.objects.filter(staff=staff).update(active_from=today + dt.timedelta(days=1))
    assert _fresh(staff.user).is_empty
    Membership.objects.filter(staff=staff).update(active_from=today)
    assert _fresh(staff.user).allows(org.ward_a.pk)


def test_a_plain_officer_of_the_city_unit_sees_every_unit(org):
    city_officer = staff_with_role(org.city, Role.OFFICER, "city_officer")
    scope = _fresh(city_officer.user)
    assert scope.all_units
    for unit in (org.ward_a, org.ward_b, org.commune_c, org.dept_office, org.reception):
        assert scope.allows(unit.pk)
    assert not scope.manages(org.ward_a.pk), "seeing every unit is not managing them"


def test_an_ended_city_membership_no_longer_sees_every_unit(org):
    city_officer = staff_with_role(org.city, Role.OFFICER, "city_officer")
    Membership.objects.filter(staff=city_officer).update(active_to=timezone.localdate())
    assert not _fresh(city_officer.user).all_units


@pytest.mark.parametrize("name", ["leader", "inspector"])
def test_a_city_wide_role_ends_with_its_membership(org, name):
    staff = org.staff[name]
    Membership.objects.filter(staff=staff).update(active_to=timezone.localdate())
    scope = _fresh(staff.user)
    assert not scope.all_units and scope.is_empty
