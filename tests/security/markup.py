"""What the Content-Security-Policy would block in an HTML page.

The policy (``script-src 'self'; style-src 'self'``) forbids inline scripts,
inline event handlers, ``javascript:`` URLs, ``<style>`` elements and ``style``
attributes: each is reported with the tag that carries it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}  # data blocks, never executed
URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inline_script = None
        self._script_text = ""
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        shown = self.get_starttag_text() or f"<{tag}>"
        if tag == "html":
            self.html_lang = attributes.get("lang")
        script_type = (attributes.get("type") or "").lower()
        if tag == "script" and not attributes.get("src") and script_type not in DATA_SCRIPT_TYPES:
            self._inline_script = shown
            self._script_text = ""
        if tag == "style":
            self.problems.append(f"élément <style> en ligne : {shown[:120]}")
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"gestionnaire d'événement {name}= : {shown[:120]}")
            elif name == "style":
                self.problems.append(f"attribut style= : {shown[:120]}")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"URL javascript: : {shown[:120]}")

    def handle_data(self, data):
        if self._inline_script is not None:
            self._script_text += data

    def handle_endtag(self, tag):
        if tag == "script" and self._inline_script is not None:
            self.problems.append(
                f"script en ligne : {self._inline_script[:120]} {self._script_text.strip()[:80]!r}"
            )
            self._inline_script = None


def csp_problems(html: str) -> tuple[list[str], str | None]:
    """(what the CSP would block, the ``lang`` of ``<html>``)."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.problems, finder.html_lang


# On template sources (Jinja), a regular expression is enough and sees every branch.
TEMPLATE_PATTERNS = {
    "script en ligne": re.compile(
        r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.IGNORECASE
    ),
    "gestionnaire d'événement": re.compile(r"<[a-zA-Z][^<>]*?\son[a-z]+\s*=", re.IGNORECASE),
    "URL javascript:": re.compile(
        r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE
    ),
    "élément <style>": re.compile(r"<style\b", re.IGNORECASE),
    "attribut style=": re.compile(r"<[a-zA-Z][^<>]*?\sstyle\s*=", re.IGNORECASE),
}
