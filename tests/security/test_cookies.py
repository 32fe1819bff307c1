"""Session and remember cookies: HttpOnly, SameSite=Lax, Secure under HTTPS (ASVS 3.3.x)."""

from __future__ import annotations

from tests.helpers import PASSWORD, create_account, csrf_token
from tests.security.conftest import create_staff

HTTPS = "https://portail.exemple.fr"


def set_cookies(response) -> dict[str, dict[str, str | bool]]:
    """``{name: {attribute (lower case): value or True}}`` of every Set-Cookie header."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name = first.split("=", 1)[0]
        parsed: dict[str, str | bool] = {"value": first.split("=", 1)[1] if "=" in first else ""}
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            parsed[key.strip().lower()] = value.strip() or True
        cookies[name] = parsed
    return cookies


def login_cookies(app, base_url: str | None = None, remember: bool = True) -> dict:
    """The cookies set by a real applicant login (form with "Rester connecté")."""
    services = app.extensions["portail"]
    create_account(services)
    client = app.test_client()
    options = {"base_url": base_url} if base_url else {}
    page = client.get("/connexion", **options)
    data = {"csrf_token": csrf_token(page), "login": "camille01", "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    if base_url:  # Flask-WTF checks the Referer of HTTPS posts, as a browser sends it
        options["headers"] = {"Referer": base_url + "/connexion"}
    response = client.post("/connexion", data=data, **options)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return {**set_cookies(page), **set_cookies(response)}


def staff_cookies(app, base_url: str | None = None) -> dict:
    services = app.extensions["portail"]
    create_staff(services, "agent.cookies", "administrateur", [])
    client = app.test_client()
    options = {"base_url": base_url} if base_url else {}
    page = client.get("/agents/connexion", **options)
    if base_url:
        options["headers"] = {"Referer": base_url + "/agents/connexion"}
    response = client.post(
        "/agents/connexion",
        data={"csrf_token": csrf_token(page), "identifiant": "agent.cookies", "password": PASSWORD},
        **options,
    )
    assert response.status_code == 302
    return {**set_cookies(page), **set_cookies(response)}


def assert_protected(cookies: dict, names: list[str], secure: bool) -> None:
    for name in names:
        assert name in cookies, f"cookie {name} non posé (posés : {sorted(cookies)})"
        cookie = cookies[name]
        assert cookie.get("httponly") is True, f"{name} : HttpOnly manquant"
        assert str(cookie.get("samesite", "")).lower() == "lax", f"{name} : SameSite={cookie.get('samesite')}"
        assert (cookie.get("secure") is True) == secure, (
            f"{name} : Secure={cookie.get('secure')} (attendu {secure})"
        )
        assert cookie.get("path", "/") == "/", f"{name} : Path={cookie.get('path')}"
        assert "domain" not in cookie, f"{name} : Domain={cookie.get('domain')} élargit le cookie"


def test_applicant_cookies_over_http(app):
    cookies = login_cookies(app)
    assert_protected(
        cookies, [app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]], secure=False
    )


def test_applicant_cookies_when_base_url_is_https(make_app):
    app = make_app(BASE_URL=HTTPS)
    cookies = login_cookies(app, base_url=HTTPS)
    assert_protected(
        cookies, [app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]], secure=True
    )


def test_https_answers_carry_hsts(make_app):
    app = make_app(BASE_URL=HTTPS)
    response = app.test_client().get("/connexion", base_url=HTTPS)
    assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 15552000


def test_staff_cookies_over_http(app):
    cookies = staff_cookies(app)
    assert_protected(cookies, [app.config["SESSION_COOKIE_NAME"]], secure=False)


def test_staff_cookies_when_base_url_is_https(make_app):
    app = make_app(BASE_URL=HTTPS)
    cookies = staff_cookies(app, base_url=HTTPS)
    assert_protected(cookies, [app.config["SESSION_COOKIE_NAME"]], secure=True)


def test_anonymous_session_cookie_is_protected_too(make_app):
    """The first cookie (set with the CSRF token of the login form) already has the flags."""
    for base_url, secure in ((None, False), (HTTPS, True)):
        app = make_app(BASE_URL=base_url or "http://portail.test")
        options = {"base_url": base_url} if base_url else {}
        cookies = set_cookies(app.test_client().get("/connexion", **options))
        assert_protected(cookies, [app.config["SESSION_COOKIE_NAME"]], secure=secure)


def test_no_cookie_holds_the_password_or_the_account_document(app):
    cookies = login_cookies(app)
    for name, cookie in cookies.items():
        assert PASSWORD not in str(cookie["value"]), name
        assert "argon2" not in str(cookie["value"]), name


def test_https_post_from_another_origin_is_refused(make_app):
    """Under HTTPS the CSRF check also wants a same-origin Referer."""
    app = make_app(BASE_URL=HTTPS)
    create_account(app.extensions["portail"])
    client = app.test_client()
    token = csrf_token(client.get("/connexion", base_url=HTTPS))
    data = {"csrf_token": token, "login": "camille01", "password": PASSWORD}
    for headers in ({}, {"Referer": "https://evil.example/connexion"}):
        response = client.post("/connexion", data=data, base_url=HTTPS, headers=headers)
        assert response.status_code == 400, headers
    response = client.post("/connexion", data=data, base_url=HTTPS, headers={"Referer": HTTPS + "/connexion"})
    assert response.status_code == 302
