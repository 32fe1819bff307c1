"""A worker process of the duplicate-SIRET race test (not a test module)."""
from __future__ import annotations

import traceback

from runtime.app import create_app
from runtime.storage.repositories.tiers import SiretTaken


def create_same_sirets(config: dict, account_id: str, sirets: list[str], barrier, results) -> None:
    """On its own app instance (``config``: the test's, its store included), try to create a Tiers
    for each SIRET, in step with the other worker.

    Any unexpected error is reported on ``results`` so the test fails at once, not on a timeout.
    """
    try:
        _create_all(config, account_id, sirets, barrier, results)
    except Exception:  # noqa: BLE001
        barrier.abort()
        results.put(("", account_id, "error", traceback.format_exc()))


def _create_all(config, account_id, sirets, barrier, results) -> None:
    app = create_app({"TESTING": True, **config})
    repo = app.extensions["portail"].repos.tiers
    for siret in sirets:
        barrier.wait(timeout=30)
        try:
            tiers = repo.create_tiers({"siret": siret, "raison_sociale": f"Structure {siret}"}, account_id)
            results.put((siret, account_id, "created", tiers["id"]))
        except SiretTaken as taken:
            results.put((siret, account_id, "taken", taken.tiers_id))
