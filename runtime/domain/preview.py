"""The staff preview of a téléservice, independent of Flask.

The preview walks every step as an applicant would: locked pre-filled fields
take their value from a sample Tiers and account (``sample_prefill``), answers
typed in preview are kept in the preview alone (``repos.previews``, never a
demande), and the récapitulatif shows the computed values and what would
block the transmission (``validate_demande``). The editor previews an unpublished
draft the same way, its answers kept under the draft's key (``draft_key``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec.conditions import evaluate
from ..spec.model import Spec
from .tiers import DEMO_TIERS  # the demo Tiers, also the sample one of previews

SAMPLE_ACCOUNT = {
    "id": "apercu",
    "identifiant": "demandeur.apercu",
    "email": "demandeur.apercu@exemple.fr",
    "civilite": "madame",
    "nom": "Martin",
    "prenom": "Camille",
}
# A sample Tiers of each family (the Tiers creation form's answers); unknown families use the first.
SAMPLE_TIERS = {
    "association": {**DEMO_TIERS, "site_web": "https://www.amis-patrimoine.exemple.fr"},
    "commune": {**DEMO_TIERS, "famille": "commune", "raison_sociale": "Commune de Saint-Exemple", "sigle": "",
                "siret": "21130055300016", "site_web": "https://www.saint-exemple.fr"},
}


def sample_tiers(spec: Spec, tiers_form: Spec | None) -> dict[str, Any]:
    """A Tiers of the spec's first family, without the answers its creation form would not ask."""
    family = spec.families[0] if spec.families else "association"
    tiers = {"id": "apercu", **SAMPLE_TIERS.get(family, SAMPLE_TIERS["association"]), "famille": family}
    if tiers_form is not None:
        for f in tiers_form.fields():
            if f.when is not None and not evaluate(f.when, tiers):
                tiers.pop(f.id, None)
    return tiers


def sample_prefill(spec: Spec, tiers_form: Spec | None) -> dict[str, Any]:
    """The pre-fill context of the preview: ``{"tiers": ..., "account": ...}`` as an applicant's."""
    return {"tiers": sample_tiers(spec, tiers_form), "account": dict(SAMPLE_ACCOUNT)}


def asked(spec: Spec, stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored preview as ``spec`` sees it: the answers an earlier text asked and this one
    does not are left out (they would block the récapitulatif with an unplaced message)."""
    from .demandes import asked_answers

    return {**stored, "answers": asked_answers(spec, stored["answers"])}


def draft_key(spec_id: str | None) -> str:
    """The preview key of the editor's draft of ``spec_id`` (None: a new téléservice); never a spec id."""
    return f"editeur:{spec_id}" if spec_id else "editeur:nouveau"


def visited_after(visited: list[str] | tuple[str, ...], page_id: str) -> list[str]:
    return sorted({*visited, page_id})


def preview_states(spec: Spec, stored: Mapping[str, Any], prefill: Mapping[str, Any]) -> dict[str, str]:
    """The state of each visible step of the preview, as the applicant's step list shows it."""
    from .demandes import step_states

    return step_states(spec, stored, prefill)
