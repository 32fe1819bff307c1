"""Operations: ``/healthz`` for the load balancer, one JSON log line per request.

``GET /healthz`` answers JSON, 200 when this server can serve, 503 when it
cannot (store unreachable, no spec loaded)::

    {"status": "ok", "store": "ok", "spec_generation": 3, "specs": 12,
     "oldest_pending_effect": "2026-11-28T17:20:03+00:00", "oldest_pending_effect_age_s": 42}

A late effect (mail server down, worker stopped) does not take the server out
of rotation: it is reported (``status`` "degraded" past
``HEALTH_EFFECT_MAX_AGE_SECONDS``) for the monitoring to alert on.

Each request gets an id (``X-Request-Id`` from the proxy when sane, else a new
one), returned in the ``X-Request-Id`` response header, stored with the
effects and jobs it records, and logged on ``portail.request`` as one JSON
object: method, path, status, duration_ms, request_id, user (kind).
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime

from flask import Blueprint, Flask, g, jsonify, request
from flask_login import current_user

from ..domain.effects import oldest_pending
from ..services import services
from ..tracing import accept_request_id, reset_request_id, set_request_id

bp = Blueprint("ops", __name__)
request_log = logging.getLogger("portail.request")
log = logging.getLogger("portail.ops")


@bp.get("/healthz")
def healthz():
    s = services()
    body: dict = {"status": "ok"}
    code = 200
    try:
        oldest = oldest_pending(s.store)
        body["store"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure of the store means "do not send me traffic"
        log.error("Santé : stockage injoignable : %s", error)
        body.update(status="error", store="error")
        oldest, code = None, 503
    catalog = s.catalog
    body["spec_generation"] = getattr(catalog, "generation", getattr(catalog, "_generation", None))
    body["specs"] = len(catalog.all())
    if not body["specs"]:
        body["status"], code = "error", 503
    body["oldest_pending_effect"] = oldest
    body["oldest_pending_effect_age_s"] = None
    if oldest:
        age = (s.clock.now() - datetime.fromisoformat(oldest)).total_seconds()
        body["oldest_pending_effect_age_s"] = round(age)
        if age > s.config["HEALTH_EFFECT_MAX_AGE_SECONDS"] and code == 200:
            body["status"] = "degraded"
    response = jsonify(body)
    response.status_code = code
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_log_request)
    app.teardown_request(_end)


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = accept_request_id(request.headers.get("X-Request-Id"))
    g.request_id_token = set_request_id(g.request_id)


def _log_request(response):
    request_id = g.get("request_id")
    if request_id is None:  # a failure before _start ran
        return response
    response.headers["X-Request-Id"] = request_id
    duration = (time.perf_counter() - g.request_started) * 1000
    user = getattr(current_user, "kind", None) if current_user and current_user.is_authenticated else "anonymous"
    request_log.info(json.dumps({
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round(duration, 1),
        "request_id": request_id,
        "user": user,
    }, ensure_ascii=False))
    return response


def _end(_exc=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            reset_request_id(token)
        except ValueError:  # set in another context (streamed response): the context dies with it
            pass
