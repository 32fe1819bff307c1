"""Who is logged in: applicants and staff share Flask-Login, told apart by the
prefix of their session id ("a:" applicant, "s:" staff).

Owner: accounts (applicants) and staff (agents) domains.
"""
from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

login_manager = LoginManager()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
    login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str):
    return None  # filled by the accounts domain
