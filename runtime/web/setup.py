"""Cross-cutting web concerns: CSRF, sessions, security headers, error pages."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..services import services
from ..storage.base import CorruptPartition, LockTimeout, StorageError
from ..storage.cache import begin_scope, end_scope

log = logging.getLogger("portail.web")
csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

ERROR_TEXTS = {
    400: ("Requête invalide", "La requête n'a pas pu être comprise."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: ("Page introuvable", "La page demandée n'existe pas ou vous n'y avez pas accès."),
    405: ("Action non permise", "Cette action n'est pas permise sur cette page."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille maximale autorisée."),
    429: ("Trop de tentatives", "Trop de tentatives en peu de temps. Veuillez patienter avant de réessayer."),
    500: ("Erreur du service", "Une erreur est survenue de notre côté. Veuillez réessayer dans quelques instants."),
}


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    from . import identity, ops, static_assets

    ops.init_app(app)  # first: the request id exists before anything else runs

    identity.init_app(app)
    static_assets.init_app(app)
    app.after_request(_security_headers)
    app.before_request_funcs.setdefault(None, []).insert(0, _open_read_cache)
    app.teardown_request(_close_read_cache)
    app.before_request(_refresh_specs)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(StorageError, _storage_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    from . import template_globals

    template_globals.init_app(app)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    if services().config["SECURE_COOKIES"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def _csrf_error(error: CSRFError):
    log.info("CSRF refusé sur %s : %s", request.path, error.description)
    from .identity import from_this_site

    keeps = getattr(current_app.view_functions.get(request.endpoint or ""), "keeps", None)
    if keeps and request.form.get(keeps) and from_this_site():  # the editor's text after the session ended
        from .staff.auth import login_keeping

        return login_keeping(request.form[keeps], request.path)
    message = (
        "Votre session a expiré ou le formulaire a été envoyé deux fois. "
        "Rechargez la page : ce que vous aviez enregistré est conservé."
    )
    return render_template("error.html", code=400, title="Formulaire expiré", message=message), 400


def _open_read_cache():
    """Each partition is read at most once per request (see runtime/storage/cache.py)."""
    g._read_cache = begin_scope()


def _close_read_cache(_error=None):
    token = g.pop("_read_cache", None)
    if token is not None:
        end_scope(token)


def _refresh_specs():
    """Every worker serves the latest published specs (checked at most once a second)."""
    refresh = getattr(services().catalog, "refresh_if_changed", None)
    if refresh is not None:
        refresh()


def _storage_error(error: StorageError):
    if isinstance(error, LockTimeout):  # busy past the request's budget: try again, nothing was written
        log.warning("Partition %s occupée au-delà du délai sur %s", error.partition, request.path)
        page = render_template("error.html", code=503, title="Service très sollicité", message=str(error))
        return page, 503, {"Retry-After": "2"}
    if isinstance(error, CorruptPartition):
        log.critical("Partition illisible : %s", error)
        message = (
            "Ce service est momentanément indisponible pour votre structure. "
            "Nos équipes ont été prévenues ; vos données sont conservées."
        )
    else:
        log.error("Écriture impossible sur %s : %s", request.path, error)
        message = str(error) or "Enregistrement impossible pour le moment. Réessayez dans quelques instants."
    return render_template("error.html", code=503, title="Service momentanément indisponible", message=message), 503


def _http_error(error: HTTPException):
    code = error.code or 500
    title, message = ERROR_TEXTS.get(code, (error.name, "Une erreur est survenue."))
    response = error.get_response()
    response.data = render_template("error.html", code=code, title=title, message=message)
    response.content_type = "text/html; charset=utf-8"
    return response


def _unexpected_error(error: Exception):
    log.exception("Erreur inattendue sur %s", request.path)
    title, message = ERROR_TEXTS[500]
    return render_template("error.html", code=500, title=title, message=message), 500
