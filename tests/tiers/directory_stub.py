"""A local stand-in for the public company directory ("recherche-entreprises" API shape), served on
127.0.0.1 by http.server in a thread."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.tiers.conftest import SIRET

SIREN = SIRET[:9]
CANNED = {
    "results": [
        {
            "siren": SIREN,
            "nom_complet": "TENNIS CLUB DE VANNES (TCV)",
            "nom_raison_sociale": "TENNIS CLUB DE VANNES",
            "siege": {
                "siret": SIREN + "00041",
                "numero_voie": "3",
                "type_voie": "AVENUE",
                "libelle_voie": "DU STADE",
                "code_postal": "56000",
                "libelle_commune": "VANNES",
                "adresse": "3 AVENUE DU STADE 56000 VANNES",
            },
            "matching_etablissements": [
                {
                    "siret": SIRET,
                    "adresse": "12 RUE DU PORT 13002 MARSEILLE",
                    "code_postal": "13002",
                    "libelle_commune": "MARSEILLE",
                }
            ],
        }
    ],
    "total_results": 1,
    "page": 1,
    "per_page": 10,
    "total_pages": 1,
}
FOUND = {
    "raison_sociale": "TENNIS CLUB DE VANNES",
    "adresse": {"street": "12 RUE DU PORT", "postcode": "13002", "commune": "MARSEILLE"},
}


class Directory:
    """A local stand-in for the public directory: answers ``status``/``body`` after ``delay``."""

    def __init__(self):
        self.status, self.body, self.delay, self.paths = 200, json.dumps(CANNED), 0.0, []
        directory = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                directory.paths.append(self.path)
                time.sleep(directory.delay)
                payload = directory.body.encode()
                self.send_response(directory.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/search?q={{siret}}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
