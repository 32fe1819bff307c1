"""Back-office of the Métropole's agents (blueprint ``staff``, prefix ``/agents``).

Instructeurs see the demandes of the téléservices assigned to them;
administrateurs see everything and also manage specs. Any other demande is a
404 (and a ``portail.access`` log line), never a 403 that would confirm it exists.

One module per concern, all routes on the one blueprint ``bp``:

- ``auth``: sign in and out;
- ``listing``: the demandes listing (filters, sort, pagination);
- ``demande``: one demande (récapitulatif, versions, decision panel, notes, messages, files);
- ``exports``: CSV and XLSX export of what the listing's filters select;
- ``echanges``: the conversations with applicants;
- ``specs``: téléservices and specs, preview of a spec;
- ``editor``: the téléservice editor (check, publish, history, revert);
- ``editor_preview``: the editor's preview of an unpublished draft, every step;
- ``list_editor``: the shared lists edited in the browser (check, uses, publish, history, revert);
- ``accounts``: « Comptes des agents ».
"""
from __future__ import annotations

from . import (  # noqa: F401  (register routes)
    accounts,
    auth,
    demande,
    echanges,
    editor,
    editor_preview,
    exports,
    list_editor,
    listing,
    specs,
)
from .common import bp

__all__ = ["bp"]
