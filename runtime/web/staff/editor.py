"""The téléservice editor (administrateurs): the YAML in a textarea (CodeMirror 6 when JavaScript
runs, ``static/js/editor.js``), « Vérifier » (lint through the one gate, errors at line:column),
the draft previewed beside it, every step (``editor_preview``), « Publier » (diff against the serving version, a reason,
then the domain's ``publish``), the history of versions and « Revenir à cette version »."""
from __future__ import annotations

import re
import secrets

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain import spec_editor
from ...domain.preview import draft_key
from ...services import services
from ...spec.errors import Error, SpecErrors
from ..setup import CSP
from .common import ADMIN, bp, current_staff, log, staff_required
from .specs import fresh_catalog

MAX_TEXT = 500_000  # characters of YAML accepted from the editor
RESUME = "reprendre"  # ?reprendre=1: open the editor on the text kept through a login


def served_or_404(spec_id: str):
    spec = fresh_catalog().get(spec_id)
    if spec is None or spec.kind != "teleservice":
        abort(404)
    return spec


def posted_text() -> str:
    text = request.form.get("yaml", "")
    if len(text) > MAX_TEXT:
        abort(413)
    return text.replace("\r\n", "\n")


def render_editor(spec, text: str, errors=(), status: int = 200, **extra):
    """The editor page."""
    return render_with_code_editor(
        "staff/editor.html", status,
        page_title=f"Modifier : {spec.title}" if spec else "Nouveau téléservice",
        active_menu="specs",
        spec=spec,
        text=text,
        errors=list(errors),
        **extra,
    )


def render_with_code_editor(template: str, status: int = 200, **context):
    """A page with the code editor. CodeMirror writes its styles in a <style> element: the page's
    policy lets the one carrying this response's nonce through (still no inline script, no other style)."""
    nonce = secrets.token_urlsafe(18)
    response = make_response(render_template(template, style_nonce=nonce, **context), status)
    response.headers["Content-Security-Policy"] = CSP.replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'")
    return response


@bp.get("/editeur/<spec_id>")
@staff_required(ADMIN)
def editor(spec_id: str):
    spec = served_or_404(spec_id)
    return render_editor(spec, _resumed(spec_id) or spec.text)


def resume_text(target: str, text: str):
    """After a login that carried the text being written when the session ended: keep it as this
    agent's draft of the téléservice ``target`` names, and open the editor on it."""
    found = re.match(r"/agents/(?:editeur/([^/?]+)|specs/nouveau)", target)
    if not found:
        return redirect(target)
    spec_id = found.group(1)
    services().repos.previews.save_draft(current_user.id, draft_key(spec_id), text.replace("\r\n", "\n")[:MAX_TEXT])
    flash("Votre texte est conservé ci-dessous. Il n'est pas publié.", "info")
    editor_url = url_for(".editor", spec_id=spec_id) if spec_id else url_for(".editor_new")
    return redirect(f"{editor_url}?{RESUME}=1")


def _resumed(spec_id: str | None) -> str | None:
    """The draft kept by ``resume_text``, when the editor is opened to resume it."""
    if not request.args.get(RESUME):
        return None
    return services().repos.previews.draft(current_user.id, draft_key(spec_id))


@bp.post("/editeur/<spec_id>")
@staff_required(ADMIN, keeps="yaml")
def editor_post(spec_id: str):
    """« Vérifier », « Actualiser l'aperçu », « Publier » (shows the diff and asks a reason) and
    « Confirmer la publication », all from the one form so the text typed is never lost."""
    spec = served_or_404(spec_id)
    catalog = fresh_catalog()
    text = posted_text()
    action = request.form.get("action", "verifier")
    try:
        errors = spec_editor.check_text(catalog, spec_id, text)
    except spec_editor.EditorError:
        abort(404)
    if action.startswith("apercu"):
        return _preview(spec, text, errors, action)
    if errors:
        return render_editor(spec, text, errors, 400)
    if action == "publier":
        return render_editor(spec, text, diff=spec_editor.diff_lines(spec.text, text, f"version {spec.version} (en service)",
                                                               "votre texte"), confirm=True)
    if action == "confirmer":
        reason = request.form.get("raison", "")
        try:
            published = spec_editor.publish(catalog, spec_id, text, reason, author(), now())
        except SpecErrors as refused:
            return render_editor(spec, text, refused.errors, 400)
        except spec_editor.EditorError as problem:
            return render_editor(spec, text, status=400, confirm=True, reason_error=str(problem), reason=reason,
                           diff=spec_editor.diff_lines(spec.text, text, f"version {spec.version} (en service)",
                                                       "votre texte"))
        log.info("Téléservice %s publié en version %s par %s", spec_id, published.spec.version, author().get("id"))
        flash(f"Version {published.spec.version} publiée : elle est en service.", "success")
        return redirect(url_for(".editor_history", spec_id=spec_id))
    return render_editor(spec, text, checked=True)


def _preview(spec, text: str, errors, action: str):
    """« Actualiser l'aperçu » (the step chosen in « etape ») and the preview's step buttons
    (``apercu:<étape>``, ``apercu:fin`` for the récapitulatif)."""
    from .editor_preview import from_editor

    requested = action.partition(":")[2] or request.form.get("etape")
    return from_editor(spec, text, errors, requested)


@bp.post("/editeur/<spec_id>/verifier.json")
@staff_required(ADMIN)
def editor_lint(spec_id: str):
    """The live lint of the editor (debounced by ``static/js/editor.js``; CSRF in the X-CSRFToken header)."""
    served_or_404(spec_id)
    errors = spec_editor.check_text(fresh_catalog(), spec_id, posted_text())
    return jsonify({"errors": [{"line": e.line, "column": e.column, "message": e.message} for e in errors]})


@bp.get("/editeur/schema.json")
@staff_required(ADMIN)
def editor_schema():
    """The spec JSON Schema the editor's completion reads (``static/js/schema-completion.js``)."""
    return jsonify(spec_editor.editor_schema(fresh_catalog()))


@bp.get("/editeur/<spec_id>/historique")
@staff_required(ADMIN)
def editor_history(spec_id: str):
    spec = served_or_404(spec_id)
    return render_template("staff/editor_history.html", page_title=f"Historique : {spec.title}", active_menu="specs",
                           spec=spec, versions=spec_editor.history(fresh_catalog(), spec_id),
                           errors=[], reverting=request.args.get("version"))


@bp.post("/editeur/<spec_id>/revenir")
@staff_required(ADMIN)
def editor_revert(spec_id: str):
    spec = served_or_404(spec_id)
    version_key = request.form.get("version", "")
    reason = request.form.get("raison", "")
    try:
        published = spec_editor.revert(fresh_catalog(), spec_id, version_key, reason, author(), now())
    except (spec_editor.EditorError, SpecErrors) as problem:
        message = str(problem) if isinstance(problem, spec_editor.EditorError) else \
            "Cette version n'est plus acceptée par les vérifications : " + "; ".join(map(str, problem.errors))
        return render_template("staff/editor_history.html", page_title=f"Historique : {spec.title}",
                               active_menu="specs", spec=spec, versions=spec_editor.history(fresh_catalog(), spec_id),
                               errors=[Error(version_key, message, code="editor")], reverting=version_key, reason=reason), 400
    flash(f"La version {published.spec.version} reprend le texte d'une version précédente : elle est en service.",
          "success")
    return redirect(url_for(".editor_history", spec_id=spec_id))


STARTER = """# yaml-language-server: $schema=../../runtime/spec/schema/spec.schema.json
id: nouveau-teleservice
kind: teleservice
version: "1"
title: Titre du nouveau téléservice
description: Une phrase qui dit à qui s'adresse l'aide et ce qu'elle finance.
families: [association]
opens: "2026-01-01"
closes: "2026-12-31"
number_prefix: NOUVEAU
pages:
  - id: projet
    title: Le projet
    fields:
      - id: intitule
        type: text
        label: Intitulé du projet
        required: true
        max_length: 150
      - id: montant_sollicite
        type: amount
        label: Montant sollicité (€)
        required: true
        min: 1
"""


@bp.route("/specs/nouveau", methods=["GET", "POST"])
@staff_required(ADMIN, keeps="yaml")
def editor_new():
    """A new téléservice written in the editor: same checks, published as teleservices/<id>.yaml."""
    if request.method == "GET":
        return render_editor(None, _resumed(None) or STARTER)
    catalog = fresh_catalog()
    text = posted_text()
    action = request.form.get("action", "verifier")
    errors, spec = spec_editor.check_new(catalog, text)
    if action.startswith("apercu"):
        return _preview(None, text, errors, action)
    if errors:
        return render_editor(None, text, errors, 400)
    if action == "publier":
        return render_editor(None, text, diff=spec_editor.diff_lines("", text, "(aucun fichier)", f"teleservices/{spec.id}.yaml"),
                       confirm=True)
    if action == "confirmer":
        reason = request.form.get("raison", "")
        try:
            published = spec_editor.create(catalog, text, reason, author(), now())
        except SpecErrors as refused:
            return render_editor(None, text, refused.errors, 400)
        except spec_editor.EditorError as problem:
            return render_editor(None, text, status=400, confirm=True, reason_error=str(problem), reason=reason,
                           diff=spec_editor.diff_lines("", text, "(aucun fichier)", f"teleservices/{spec.id}.yaml"))
        log.info("Nouveau téléservice %s publié par %s", published.spec.id, author().get("id"))
        flash(f"Le téléservice « {published.spec.title} » est publié : il est en service.", "success")
        return redirect(url_for(".editor_history", spec_id=published.spec.id))
    return render_editor(None, text, checked=True)


@bp.post("/specs/nouveau/verifier.json")
@staff_required(ADMIN)
def editor_new_lint():
    errors, _ = spec_editor.check_new(fresh_catalog(), posted_text())
    return jsonify({"errors": [{"line": e.line, "column": e.column, "message": e.message} for e in errors]})


def author() -> dict:
    doc = current_staff()
    return {"id": doc.get("id"), "nom": doc.get("nom"), "identifiant": doc.get("identifiant")}


def now() -> str:
    from ...services import services

    return services().clock.now().isoformat(timespec="seconds")
