"""Public links on the home page and the staff navigation entry."""

from __future__ import annotations


def test_home_page_links_to_the_feedback_form_the_knowledge_base_and_tracking(client, db):
    page = client.get("/").content.decode()

    assert "/phan-anh/gui/" in page and "/hoi-dap/" in page and "/phan-anh/tra-cuu/" in page


def test_staff_see_the_feedback_menu(client, org):
    client.force_login(org.user("officer_a"))

    assert 'href="/phan-anh/"' in client.get("/phan-anh/").content.decode()
