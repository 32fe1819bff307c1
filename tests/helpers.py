"""Shared test helpers (owner: accounts domain; other domains extend it).

Typical use::

    account = create_account(services)                  # activated, password PASSWORD
    login(client, account["identifiant"])               # follows nothing, returns the response
    token = csrf_token(client.get("/mon-compte"))
    mail = last_mail(services, to=account["email"])     # OutboxMail: .subject .text .html .to
    response = follow_mail_link(client, links_in(mail.text)[0])   # opens the page, presses its button
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from runtime.passwords import hash_password

PASSWORD = "Motdepasse1!"
# What a browser says of a form posted from one of the portal's own pages (runtime.web.identity.from_this_site).
FROM_THIS_SITE = {"Sec-Fetch-Site": "same-origin"}

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_URL = re.compile(r"https?://[^\s<>\"']+")


def csrf_token(page) -> str:
    """The CSRF token of a page (a test response or its HTML text)."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, "aucun jeton CSRF dans la page"
    return match.group(1) or match.group(2)


def create_account(
    services,
    identifiant: str = "camille01",
    email: str = "camille@exemple.fr",
    password: str = PASSWORD,
    active: bool = True,
    **fields,
) -> dict:
    """An applicant account made through the repository (activated by default)."""
    account = services.repos.accounts.create(
        {
            "civilite": "madame",
            "nom": "Martin",
            "prenom": "Camille",
            "identifiant": identifiant,
            "email": email,
            "password_hash": hash_password(password, services.config),
            **fields,
        }
    )
    return services.repos.accounts.activate(account["id"]) if active else account


def login(
    client,
    login: str = "camille01",
    password: str = PASSWORD,
    remember: bool = False,
    next: str | None = None,
):
    """Post the login form (with a fresh CSRF token); the response is not followed."""
    url = "/connexion" + (f"?next={next}" if next else "")
    data = {"csrf_token": csrf_token(client.get(url)), "login": login, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post(url, data=data)


def logout(client):
    return client.post(
        "/deconnexion", data={"csrf_token": csrf_token(client.get("/mon-compte", follow_redirects=True))}
    )


def outbox(services) -> list:
    """Every mail sent so far (runtime.mail.backends.OutboxMail), oldest first."""
    return services.mailer.outbox.messages()


def last_mail(services, to: str | None = None):
    mails = [mail for mail in outbox(services) if to is None or mail.to == to]
    assert mails, f"aucun courriel envoyé à {to or 'quiconque'}"
    return mails[-1]


def links_in(text: str) -> list[str]:
    return _URL.findall(text)


def path_of(url: str) -> str:
    """The path (and query) of an absolute URL, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def follow_mail_link(client, url: str):
    """Open a link from a mail (activation, e-mail change) and press the button of the page it
    opens: the token is only used by that POST. Returns the POST's response (not followed)."""
    path = path_of(url)
    page = client.get(path)
    assert page.status_code == 200, f"{path} : {page.status_code}"
    return client.post(path, data={"csrf_token": csrf_token(page)})


def registration_data(**overrides) -> dict:
    """A valid registration form (test anti-robot backend), fields overridable."""
    data = {
        "civilite": "madame",
        "nom": "Martin",
        "prenom": "Camille",
        "identifiant": "camille01",
        "email": "camille@exemple.fr",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "captcha": "ok",
        "site_web": "",
    }
    data.update(overrides)
    return data


def register(client, **overrides):
    """Post the registration form with a fresh CSRF token."""
    data = registration_data(**overrides)
    data["csrf_token"] = csrf_token(client.get("/inscription"))
    return client.post("/inscription", data=data)


def page_text(response) -> str:
    """The HTML of a response with entities decoded (``d'accord`` rather than ``d&#39;accord``)."""
    return html.unescape(response.get_data(as_text=True))


_SUMMARY_LINK = re.compile(r'<li><a href="#([^"]+)">(.*?)</a></li>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def summary_errors(page) -> dict[str, str]:
    """The error summary of a page: ``{field anchor: message}``."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    start = text.find("govuk-error-summary__list")
    if start < 0:
        return {}
    block = text[start : text.find("</ul>", start)]
    return {anchor: html.unescape(message.strip()) for anchor, message in _SUMMARY_LINK.findall(block)}


def field_error(page, field_id: str) -> str | None:
    """The message shown beside a field (``<p id="<field_id>-error">``), without the hidden prefix."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    match = re.search(rf'<p id="{re.escape(field_id)}-error"[^>]*>(.*?)</p>', text, re.DOTALL)
    if not match:
        return None
    message = html.unescape(_TAGS.sub("", match.group(1)))
    return " ".join(message.replace("Erreur :", "", 1).split())
