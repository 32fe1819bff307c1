def test_app_starts_and_serves_error_pages_with_security_headers(client):
    response = client.get("/page-qui-n-existe-pas")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_two_apps_share_their_url_builders_and_each_builds_its_own_urls(make_app):
    """Werkzeug's per-route builder functions are compiled once per process (runtime/web/url_rules.py)."""
    from flask import url_for

    first, second = make_app(), make_app(BASE_URL="http://autre.test")
    rules = [{rule.endpoint: rule for rule in app.url_map.iter_rules()} for app in (first, second)]
    step = "demandes.step"
    assert rules[0][step] is not rules[1][step]
    assert rules[0][step]._build_unknown.__func__ is rules[1][step]._build_unknown.__func__
    for app in (first, second):
        with app.test_request_context():
            assert url_for(step, demande_id="d1", page_id="projet", retour="recap") == \
                "/demandes/d1/etape/projet?retour=recap"
