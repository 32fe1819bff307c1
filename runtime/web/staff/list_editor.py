"""Shared lists edited in the browser (administrateurs): the YAML of ``specs/listes/<id>.yaml`` in
the code editor, « Vérifier » through the one gate (the list and the téléservices using it), which
téléservices use it and what the text changes in its choices, « Publier » with the diff and a
reason, the history of texts with « Revenir à cette version ». Domain: ``domain/list_editor.py``."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from ...domain import list_editor
from ...domain.spec_editor import EditorError, diff_lines
from ...spec.errors import Error, SpecErrors
from ...spec.lists import load_list_text
from .common import ADMIN, bp, log, staff_required
from .editor import author, now, posted_text, render_with_code_editor
from .specs import fresh_catalog


def _served_or_404(list_id: str):
    try:
        return list_editor.served_list(fresh_catalog(), list_id)
    except EditorError:
        abort(404)


def _changes(before, text: str) -> dict | None:
    """Choices added, removed and relabelled by the text (None when it does not load)."""
    try:
        after = load_list_text(text, "brouillon")
    except SpecErrors:
        return None
    old = {c.value: c.label for c in before.choices}
    new = {c.value: c.label for c in after.choices}
    return {"count": len(new),
            "added": [(v, label) for v, label in new.items() if v not in old],
            "removed": [(v, label) for v, label in old.items() if v not in new],
            "relabelled": [(v, old[v], label) for v, label in new.items() if v in old and old[v] != label]}


def _render(shared, text: str, errors=(), status: int = 200, **extra):
    return render_with_code_editor(
        "staff/list_editor.html", status,
        page_title=f"Modifier la liste : {shared.title}",
        active_menu="specs",
        shared=shared,
        text=text,
        errors=list(errors),
        uses=list_editor.uses(fresh_catalog(), shared.id),
        changes=_changes(shared, text),
        **extra,
    )


@bp.get("/listes/<list_id>")
@staff_required(ADMIN)
def list_edit(list_id: str):
    shared = _served_or_404(list_id)
    return _render(shared, shared.text)


@bp.post("/listes/<list_id>")
@staff_required(ADMIN)
def list_edit_post(list_id: str):
    """« Vérifier », « Publier » (the diff, a reason) and « Confirmer la publication »."""
    shared = _served_or_404(list_id)
    catalog = fresh_catalog()
    text = posted_text()
    action = request.form.get("action", "verifier")
    errors = list_editor.check_list(catalog, list_id, text)
    if errors:
        return _render(shared, text, errors, 400)
    diff = diff_lines(shared.text, text, "liste en service", "votre texte")
    if action == "publier":
        return _render(shared, text, diff=diff, confirm=True)
    if action == "confirmer":
        reason = request.form.get("raison", "")
        try:
            list_editor.publish_list(catalog, list_id, text, reason, author(), now())
        except SpecErrors as refused:
            return _render(shared, text, refused.errors, 400)
        except EditorError as problem:
            return _render(shared, text, status=400, confirm=True, diff=diff, reason=reason, reason_error=str(problem))
        log.info("Liste partagée %s publiée par %s", list_id, author().get("id"))
        flash("La liste est publiée : les téléservices qui l'utilisent en ont une nouvelle version.", "success")
        return redirect(url_for(".list_history", list_id=list_id))
    return _render(shared, text, checked=True)


@bp.post("/listes/<list_id>/verifier.json")
@staff_required(ADMIN)
def list_lint(list_id: str):
    _served_or_404(list_id)
    errors = list_editor.check_list(fresh_catalog(), list_id, posted_text())
    return jsonify({"errors": [{"line": e.line, "column": e.column, "message": e.message} for e in errors]})


@bp.get("/listes/schema.json")
@staff_required(ADMIN)
def list_schema():
    """The shared list JSON Schema, for the editor's completion."""
    import json

    from ...spec.lists import LIST_SCHEMA_PATH

    return jsonify(json.loads(LIST_SCHEMA_PATH.read_text(encoding="utf-8")))


@bp.get("/listes/<list_id>/historique")
@staff_required(ADMIN)
def list_history(list_id: str, errors: list[Error] | None = None, reason: str = "", status: int = 200):
    shared = _served_or_404(list_id)
    return render_template("staff/list_history.html", page_title=f"Historique : {shared.title}", active_menu="specs",
                           shared=shared, versions=list_editor.list_history(fresh_catalog(), list_id),
                           uses=list_editor.uses(fresh_catalog(), list_id), errors=errors or [], reason=reason), status


@bp.post("/listes/<list_id>/revenir")
@staff_required(ADMIN)
def list_revert(list_id: str):
    _served_or_404(list_id)
    version_id = request.form.get("version", "")
    reason = request.form.get("raison", "")
    try:
        list_editor.revert_list(fresh_catalog(), list_id, version_id, reason, author(), now())
    except (EditorError, SpecErrors) as problem:
        message = str(problem) if isinstance(problem, EditorError) else \
            "Ce texte n'est plus accepté par les vérifications : " + "; ".join(e.message for e in problem.errors)
        return list_history(list_id, errors=[Error(version_id, message, code="editor")], reason=reason, status=400)
    flash("La liste reprend le texte d'une version précédente : elle est en service.", "success")
    return redirect(url_for(".list_history", list_id=list_id))
