"""Factories for feedback tests: categories and items created directly (bypassing services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from kycuong.core.periods import TZ
from kycuong.feedback.models import Category, FeedbackItem, Status


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Lĩnh vực {n}")


def at(day: int, hour: int = 9, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedbackItem

    code = factory.Sequence(lambda n: f"PA-2610-{n:06d}")
    secret_digest = factory.LazyFunction(lambda: FeedbackItem.hash_secret("secret"))
    category = factory.SubFactory(CategoryFactory)
    description = "Ổ gà trên đường"
    status = Status.IN_PROGRESS
    received_at = factory.LazyFunction(lambda: at(1))
    refuse_due_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=2))
    info_due_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=7))
    resolve_due_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=21))


def item(**kwargs: Any) -> FeedbackItem:
    return ItemFactory(**kwargs)
