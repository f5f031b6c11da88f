"""Admins manage Open311 keys: the key is shown once, stored hashed, and can be revoked."""

from __future__ import annotations

import re

from django.test import Client

from kycuong.feedback.models import Open311Key


def test_admin_creates_an_open311_key_shown_once_and_revokes_it(client, org, categories):
    client.force_login(org.user("admin"))

    resp = client.post("/quan-tri/feedback/open311key/add/", {"name": "Ứng dụng phường", "contact": "it@example.com"},
                       follow=True)

    raw = re.search(r"o311_[\w-]+", resp.content.decode()).group(0)
    key = Open311Key.objects.get()
    assert key.digest == Open311Key.hash(raw) and raw not in (key.prefix + key.digest)
    post = {"api_key": raw, "service_code": "duong-sa", "address_id": "H26.P04", "description": "Ổ gà"}
    assert Client().post("/open311/v2/requests.json", post).status_code == 201
    client.post("/quan-tri/feedback/open311key/", {"action": "revoke", "_selected_action": [key.pk]})
    assert Client().post("/open311/v2/requests.json", post).status_code == 403


def test_officers_cannot_reach_the_key_admin(client, org):
    client.force_login(org.user("officer_a"))

    assert client.get("/quan-tri/feedback/open311key/").status_code == 302
