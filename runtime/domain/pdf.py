"""The accusé de réception of a transmitted demande, as a PDF (fpdf2).

Written in DejaVu Sans, embedded (``runtime/fonts``): every Latin, Greek and Cyrillic letter
a name may hold, « € », « œ » and French punctuation print as typed. A character the font
does not have (an emoji) is left out rather than printed as « ? ».
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF

from ..formatting import format_date, format_siret
from ..spec.model import Spec
from .demandes import summary_lines

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": FONTS / "DejaVuSans.ttf", "B": FONTS / "DejaVuSans-Bold.ttf"}


@cache
def _drawable() -> frozenset[int]:
    """The characters both styles of the font can draw."""
    maps = [set(TTFont(path).getBestCmap()) for path in FONT_FILES.values()]
    return frozenset(set.intersection(*maps))


def printable(text: Any) -> str:
    """``text`` as the font can draw it: composed (NFC), without what it has no glyph for."""
    drawable = _drawable()
    return "".join(c for c in unicodedata.normalize("NFC", str(text)) if ord(c) in drawable or c in "\n\t")


class _Receipt(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=8)
        self.cell(0, 8, printable(f"{self.footer_text} – page {self.page_no()}/{{nb}}"), align="C")


def accuse_reception(
    demande: Mapping[str, Any],
    spec: Spec,
    tiers: Mapping[str, Any] | None,
    metropole_name: str,
    metropole_contact: str,
) -> bytes:
    """The PDF bytes: number, date, téléservice, Tiers, answers, contact."""
    pdf = _Receipt()
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT, style, str(path))
    pdf.footer_text = f"{metropole_name} – accusé de réception {demande.get('numero') or ''}"
    pdf.set_title(printable(f"Accusé de réception {demande.get('numero') or ''}"))
    pdf.set_author(printable(metropole_name))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def write(text: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font(FONT, style=style, size=size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, height, printable(text))

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
