from __future__ import annotations

from django.test import Client


def test_catalogue_lists_searches_and_filters(catalogue, django_assert_max_num_queries):
    c = Client()
    with django_assert_max_num_queries(4):
        r = c.get("/thu-tuc/", {"q": "dang ky khai sinh"})
    assert r.status_code == 200
    html = r.content.decode()
    assert html.index("Thủ tục đăng ký khai sinh<") < html.index("Thủ tục đăng ký lại khai sinh")
    r = c.get("/thu-tuc/", {"linh-vuc": "chung-thuc"})
    assert "Chứng thực bản sao" in r.content.decode() and "Thủ tục đăng ký khai sinh" not in r.content.decode()


def test_catalogue_query_count_does_not_grow_with_results(catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert Client().get("/thu-tuc/").status_code == 200


def test_htmx_search_returns_the_results_partial(catalogue):
    r = Client().get("/thu-tuc/", {"q": "ket hon"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html and "Thủ tục đăng ký kết hôn" in html


def test_detail_shows_time_fee_documents_steps_and_online(catalogue):
    r = Client().get("/thu-tuc/1.009972/")
    html = r.content.decode()
    assert r.status_code == 200
    for text in ("15 ngày làm việc", "75.000", "Tờ khai theo mẫu", "Thẩm định hồ sơ", "Chuyên viên", "Một phần",
                 "/nop-truc-tuyen/1.009972/"):
        assert text in html, text


def test_unknown_procedure_is_404(db):
    assert Client().get("/thu-tuc/0.000000/").status_code == 404
