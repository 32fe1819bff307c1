"""Optional look-up of a SIRET in the public company directory, to pre-fill the raison sociale
and the address of a Tiers being created (issue 5). Off by default and in tests: manual entry is
always the path, the look-up only saves typing.

Configuration: ``SIRET_LOOKUP_URL`` empty → ``NullLookup``; otherwise a URL template with
``{siret}``, answering like the "recherche-entreprises" API of the State, e.g.
``https://recherche-entreprises.api.gouv.fr/search?q={siret}`` → ``HttpLookup``.
``SIRET_LOOKUP_TIMEOUT`` (seconds, default 3).

``lookup(siret)`` returns ``{"raison_sociale": str, "adresse": {"street", "postcode", "commune"}}``
(empty strings for what the directory does not say) or None: unknown SIRET, service slow, down or
answering nonsense. Errors are logged, never raised: the applicant is never blocked.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import current_app

log = logging.getLogger("portail.siret_lookup")

DEFAULT_TIMEOUT = 3.0
MAX_RESPONSE_BYTES = 1024 * 1024
HIDDEN = "[NON-DIFFUSIBLE]"  # what the directory shows for entities that refused publication


class SiretLookup:
    """Interface of the adapters."""

    enabled = True

    def lookup(self, siret: str) -> dict | None:
        raise NotImplementedError


class NullLookup(SiretLookup):
    """No directory configured: nothing is ever found."""

    enabled = False

    def lookup(self, siret: str) -> dict | None:
        return None


class HttpLookup(SiretLookup):
    """The "recherche-entreprises" API (or any service answering in its shape)."""

    def __init__(self, url_template: str, timeout: float = DEFAULT_TIMEOUT):
        self.url_template = url_template
        self.timeout = timeout

    def lookup(self, siret: str) -> dict | None:
        url = self.url_template.format(siret=quote(siret, safe=""))
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
            if len(body) > MAX_RESPONSE_BYTES:
                raise ValueError("réponse trop volumineuse")
            return parse_directory_answer(json.loads(body), siret)
        except (OSError, ValueError, TypeError, AttributeError) as error:  # URLError, timeouts, bad JSON
            log.warning("Annuaire des entreprises indisponible pour le SIRET %s : %s", siret, error)
            return None


def parse_directory_answer(data: Any, siret: str) -> dict | None:
    """The company of ``siret`` in a "recherche-entreprises" answer (``results`` list), or None."""
    company = next((c for c in data.get("results") or [] if str(c.get("siren")) == siret[:9]), None)
    if company is None:
        return None
    name = _text(company.get("nom_raison_sociale")) or _text(company.get("nom_complet"))
    if not name:
        return None
    places = [*(company.get("matching_etablissements") or []), company.get("siege") or {}]
    place = next((p for p in places if str(p.get("siret")) == siret), None)
    return {"raison_sociale": name, "adresse": _address(place or {})}


def _text(value: Any) -> str:
    text = " ".join(str(value or "").split())
    return "" if HIDDEN in text else text


def _address(place: Mapping[str, Any]) -> dict[str, str]:
    postcode, commune = _text(place.get("code_postal")), _text(place.get("libelle_commune"))
    parts = ("numero_voie", "indice_repetition", "type_voie", "libelle_voie")
    street = " ".join(filter(None, (_text(place.get(key)) for key in parts)))
    if not street:  # only the one-line form: "12 RUE DE LA PAIX 13001 MARSEILLE"
        street = _text(place.get("adresse")).split(f" {postcode} ")[0] if postcode else ""
    return {"street": street, "postcode": postcode, "commune": commune}


def build_siret_lookup(config: Mapping[str, Any]) -> SiretLookup:
    url = str(config.get("SIRET_LOOKUP_URL") or "").strip()
    if not url:
        return NullLookup()
    return HttpLookup(url, float(config.get("SIRET_LOOKUP_TIMEOUT") or DEFAULT_TIMEOUT))


def get_siret_lookup(config: Mapping[str, Any]) -> SiretLookup:
    """The adapter of the current app, built once from ``config``."""
    extensions = current_app.extensions
    if "siret_lookup" not in extensions:
        extensions["siret_lookup"] = build_siret_lookup(config)
    return extensions["siret_lookup"]
