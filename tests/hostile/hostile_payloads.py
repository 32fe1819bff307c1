"""The hostile input corpus: what a careless or malicious person types into the portal.

Each payload has a name (the pytest id) and the text; the tests of this folder post
them into every form and check that the portal answers with a French message beside
the field, stores nothing it should not, never answers 500 and never lets a payload
run (escaped in pages, mails and the CSV export).
"""
from __future__ import annotations

import io

# Text that must come back inert wherever it is shown.
MARKUP = {
    "script": "<script>alert('xss')</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "attribut": '" autofocus onfocus="alert(1)" x="',
    "svg": "<svg/onload=alert(1)>",
    "lien-javascript": "javascript:alert(1)",
    "jinja": "{{7*7}}",
    "jinja-config": "{{ config.SECRET_KEY }}",
    "jinja-bloc": "{% for x in range(3) %}boucle{% endfor %}",
    "format-python": "{0.__class__}",
    "entite": "&lt;b&gt;&amp;",
}

# Strings the server must clean or refuse, never store raw.
CONTROL = {
    "nul": "Asso\x00ciation",
    "controles": "Asso\x01\x02\x07\x1bciation",
    "rtl-override": "Association\u202egpj.exe",
    "zero-width": "Asso\u200bciation",
    "retour-chariot": "Association\r\nBcc: victime@example.org",
}

ONE_MB = "a" * (1024 * 1024)

# Digits that look like digits but are not ASCII 0-9.
FULLWIDTH_SIRET = "７３２８２９３２００００７４"  # 73282932000074 in fullwidth digits
ARABIC_INDIC_SIRET = "٧٣٢٨٢٩٣٢٠٠٠٠٧٤"
FULLWIDTH_AMOUNT = "１０００"
SUPERSCRIPT_AMOUNT = "¹⁰⁰⁰"
FULLWIDTH_IBAN = "FR７６ ３０００ ６０００ ０１１２ ３４５６ ７８９０ １８９"

NUMBERS = {
    "negatif": "-1000",
    "enorme": "9" * 40,
    "exposant": "1e308",
    "infini": "inf",
    "nan": "NaN",
    "pleine-chasse": FULLWIDTH_AMOUNT,
    "exposants-unicode": SUPERSCRIPT_AMOUNT,
    "virgule-multiple": "1,2,3",
}

DATES = {
    "31-fevrier": "2026-02-31",
    "mois-13": "2026-13-01",
    "an-0": "0000-01-01",
    "texte": "demain",
    "francais-31-02": "31/02/2026",
}

# Valid reference values (to be sure a refusal comes from the payload only).
VALID_SIRET = "73282932000074"  # Luhn-valid
LA_POSTE_SIRET = "35600000000048"  # La Poste exception (sum of digits multiple of 5)
VALID_IBAN = "FR7630006000011234567890189"
VALID_RNA = "W133000000"

# name -> (filename, content bytes, declared content type)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FILES = {
    "html-renomme-pdf": ("statuts.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    "exe-renomme-pdf": ("statuts.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64, "application/pdf"),
    "svg-script": ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
    "double-extension": ("statuts.pdf.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream"),
    "vide": ("vide.pdf", b"", "application/pdf"),
}
# Names that must be stored safely (random storage name) and shown escaped.
HOSTILE_FILENAMES = {
    "traversee": "../../../etc/passwd.pdf",
    "traversee-windows": "..\\..\\boot.ini.pdf",
    "script": "<script>alert(1)</script>.pdf",
    "rtl": "facture\u202efdp.exe.pdf",
    "nul": "statuts\x00.pdf",
    "tres-long": ("n" * 300) + ".pdf",
    "entete": 'a";\r\nContent-Type: text/html; x=".pdf',
}


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    """A (stream, filename, content type) tuple for the Flask test client's ``data``."""
    return (io.BytesIO(content), name, content_type)


def all_text_payloads() -> dict[str, str]:
    return {**MARKUP, **CONTROL}


def payload_is_inert(html: str, payload: str) -> bool:
    """True when the raw payload does not appear unescaped in ``html``.

    Payloads without markup characters are inert by nature; for the others the
    raw text must be absent (it may appear escaped: ``&lt;script&gt;``).
    """
    if not any(c in payload for c in "<>\"'"):
        return True
    return payload not in html
