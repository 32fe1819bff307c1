def test_app_starts_and_serves_error_pages_with_security_headers(client):
    response = client.get("/page-qui-n-existe-pas")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
