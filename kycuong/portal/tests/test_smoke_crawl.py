"""Smoke crawl: with the demo city loaded, every page reachable by links from each role's landing
page (and from the public home page) answers without a server error, and every local asset a page
references exists. Catches broken templates, bad reverse() calls and N+1 timeouts across modules."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from kycuong.core.auditchain import chain_verify
from kycuong.core.demodata import DEMO_PASSWORD, DemoContext, build_demo
from kycuong.org.demo import DEMO_ACCOUNTS

HREF = re.compile(r'(?:href|src)="([^"#]+)"')
SKIP = re.compile(r"(/dang-xuat/|/i18n/|/quan-tri/|\.xlsx|\.pdf|\.csv|format=|/api/v1/docs|/iclock/|xuat)")
MAX_PAGES_PER_ROLE = 100


def crawl(client, start: str, seen_assets: set[str]) -> dict[str, int]:
    queue, visited, statuses = [start], set(), {}
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            if urlsplit(target).netloc in ("", "testserver"):
                queue.append(urlsplit(target).path + (f"?{urlsplit(target).query}" if urlsplit(target).query else ""))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for link in HREF.findall(response.content.decode()):
            absolute = urljoin(url, link.replace("&amp;", "&"))
            parts = urlsplit(absolute)
            if parts.netloc not in ("", "testserver") or SKIP.search(absolute):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith("/static/"):
                seen_assets.add(parts.path)
            elif path not in visited:
                queue.append(path)
    return statuses


@pytest.mark.django_db
def test_every_linked_page_works_for_every_role(client):
    build_demo(DemoContext(log=lambda s: None, scale=0.05))
    assert chain_verify().ok, chain_verify().broken  # the demo's audit trail is one intact hash chain
    assets: set[str] = set()
    problems = []
    for status_map in [crawl(client, "/", assets)]:
        problems += [(u, s, "public") for u, s in status_map.items() if s >= 500]
    for account in DEMO_ACCOUNTS:
        client.logout()
        assert client.login(username=account["username"], password=DEMO_PASSWORD)
        statuses = crawl(client, "/trang-cua-toi/", assets)
        problems += [(u, s, account["username"]) for u, s in statuses.items() if s >= 500]
    assert problems == []
    client.logout()
    missing = [a for a in sorted(assets) if client.get(a).status_code != 200]
    assert missing == []
    report = chain_verify()  # the logins of the crawl extended it
    assert report.ok and report.count > 0, report.broken
