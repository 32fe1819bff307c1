"""Stylesheets and scripts are fetched once per browser: every page names them with a digest of
their content, and the file under that name is cacheable for a year (no request at all on the
next pages, where each page used to revalidate sixteen scripts and its stylesheet)."""
from __future__ import annotations

import hashlib
import re

from runtime import ROOT

ASSET = re.compile(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]+)"')


def page_assets(client, path="/connexion") -> dict[str, str]:
    html = client.get(path).get_data(as_text=True)
    return dict(ASSET.findall(html))


def test_every_stylesheet_and_script_of_a_page_is_named_with_its_content_digest(client):
    assets = page_assets(client)
    assert "/static/css/portail.css" in assets and "/static/js/portail/start.js" in assets
    html = client.get("/connexion").get_data(as_text=True)
    assert not re.search(r'(?:href|src)="/static/[^"?]+"', html), "un fichier statique sans version"
    for url, version in assets.items():
        content = (ROOT / url.removeprefix("/")).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12], url


def test_a_versioned_file_is_kept_a_year_by_the_browser(client):
    url, version = next(iter(page_assets(client).items()))
    response = client.get(f"{url}?v={version}")
    assert response.status_code == 200
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert response.cache_control.public and response.cache_control.immutable
    assert not response.cache_control.no_cache and not response.cache_control.no_store


def test_a_file_asked_without_its_version_or_with_an_old_one_is_revalidated(client):
    url, _ = next(iter(page_assets(client).items()))
    for query in ("", "?v=0123456789ab"):
        response = client.get(url + query)
        assert response.status_code == 200
        assert response.cache_control.no_cache and not response.cache_control.max_age, query
