"""The accusé de réception of a transmitted demande, as a PDF (fpdf2).

The core Helvetica font only knows latin-1, which covers French; other
characters are replaced by close latin-1 equivalents, or "?" as a last resort.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fpdf import FPDF

from ..formatting import format_date, format_siret
from ..spec.model import Spec
from .demandes import summary_lines

LATIN1_EQUIVALENTS = str.maketrans(
    {
        "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
        "\u2026": "...", "\u202f": "\xa0", "\u2009": " ", "\u20ac": "EUR", "\u0153": "oe", "\u0152": "OE",
        "\u2022": "-", "\u2192": "->",
    }
)


def latin1(text: Any) -> str:
    """Text the core fonts can draw, whatever was typed."""
    cleaned = str(text).translate(LATIN1_EQUIVALENTS)
    return cleaned.encode("latin-1", "replace").decode("latin-1")


class _Receipt(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, latin1(f"{self.footer_text} - page {self.page_no()}/{{nb}}"), align="C")


def accuse_reception(
    demande: Mapping[str, Any],
    spec: Spec,
    tiers: Mapping[str, Any] | None,
    metropole_name: str,
    metropole_contact: str,
) -> bytes:
    """The PDF bytes: number, date, téléservice, Tiers, answers, contact."""
    pdf = _Receipt()
    pdf.footer_text = f"{metropole_name} - accusé de réception {demande.get('numero') or ''}"
    pdf.set_title(latin1(f"Accusé de réception {demande.get('numero') or ''}"))
    pdf.set_author(latin1(metropole_name))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def write(text: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, height, latin1(text))

    write(metropole_name, 12, "B")
    write("Accusé de réception de votre demande", 16, "B", 9)
    pdf.ln(2)
    identity = [
        ("Numéro de la demande", demande.get("numero") or ""),
        ("Date de transmission", format_date(demande.get("transmitted_at"))),
        ("Téléservice", spec.title),
        ("Tiers", _tiers_label(tiers)),
    ]
    for label, value in identity:
        write(f"{label} : {value}", 11)
    pdf.ln(4)
    write("Récapitulatif de la demande", 13, "B", 7)
    for label, text, depth in summary_lines(spec, demande.get("answers") or {}):
        if depth == 0:
            pdf.ln(2)
            write(label, 11, "B", 6)
        else:
            indent = "    " * (depth - 1)
            write(f"{indent}{label} : {text}")
    pdf.ln(6)
    write("Votre interlocuteur", 11, "B", 6)
    write(metropole_contact)
    return bytes(pdf.output())


def _tiers_label(tiers: Mapping[str, Any] | None) -> str:
    if not tiers:
        return "Création de tiers"
    name = tiers.get("raison_sociale") or tiers.get("nom") or ""
    siret = tiers.get("siret")
    return f"{name} (SIRET {format_siret(siret)})" if siret else str(name)
