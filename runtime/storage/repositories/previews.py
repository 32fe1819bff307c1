"""What a staff member typed in the preview of a téléservice: partition ``previews/<staff id>``.

Table ``answers``: one document per previewed spec (``id`` = the spec id, or the draft key of
an editor draft) holding ``answers`` and ``visited``. Table ``drafts``: the text of each
unpublished draft previewed from the editor (``id`` = the draft key). Nothing here is a
demande: the preview never writes one.
"""
from __future__ import annotations

from typing import Any

from ._base import BaseRepository

PREFIX = "previews"
TABLE = "answers"
DRAFTS = "drafts"


def _partition(staff_id: str) -> str:
    return f"{PREFIX}/{staff_id}"


class PreviewRepository(BaseRepository):
    def get(self, staff_id: str, spec_id: str) -> dict[str, Any]:
        doc = self.store.read(_partition(staff_id)).table(TABLE).get(spec_id)
        return dict(doc) if doc else {"id": spec_id, "answers": {}, "visited": []}

    def save(self, staff_id: str, spec_id: str, answers: dict[str, Any], visited: list[str]) -> None:
        doc = {"id": spec_id, "answers": answers, "visited": visited, "updated_at": self.now_iso()}
        with self.store.transaction(_partition(staff_id)) as part:
            table = part.table(TABLE)
            if table.get(spec_id) is None:
                table.insert(doc)
            else:
                table.replace(spec_id, doc)

    def clear(self, staff_id: str, spec_id: str) -> None:
        with self.store.transaction(_partition(staff_id)) as part:
            table = part.table(TABLE)
            if table.get(spec_id) is not None:
                table.remove(spec_id)

    def draft(self, staff_id: str, key: str) -> str | None:
        doc = self.store.read(_partition(staff_id)).table(DRAFTS).get(key)
        return doc["text"] if doc else None

    def save_draft(self, staff_id: str, key: str, text: str) -> None:
        if self.draft(staff_id, key) == text:
            return
        doc = {"id": key, "text": text, "updated_at": self.now_iso()}
        with self.store.transaction(_partition(staff_id)) as part:
            table = part.table(DRAFTS)
            if table.get(key) is None:
                table.insert(doc)
            elif table.get(key)["text"] != text:
                table.replace(key, doc)
