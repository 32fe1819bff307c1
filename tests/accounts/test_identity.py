"""Session ids: "a:<id>:<epoch>" for applicants, "s:<id>:<epoch>" for staff."""
from __future__ import annotations

from runtime.web.identity import ApplicantUser, StaffUser, load_user
from tests.helpers import create_account


class FakeStaff:
    def __init__(self, docs):
        self.docs = docs

    def get(self, staff_id):
        return self.docs.get(staff_id)


def test_applicant_ids_carry_the_epoch(app, services):
    account = create_account(services)
    with app.app_context():
        user = load_user(f"a:{account['id']}:0")
        assert isinstance(user, ApplicantUser) and user.kind == "applicant"
        assert user.get_id() == f"a:{account['id']}:0"
        services.repos.accounts.end_sessions(account["id"])
        assert load_user(f"a:{account['id']}:0") is None
        assert load_user(f"a:{account['id']}:1").doc["identifiant"] == "camille01"


def test_unactivated_or_unknown_ids_are_anonymous(app, services):
    account = create_account(services, active=False)
    with app.app_context():
        assert load_user(f"a:{account['id']}:0") is None
        assert load_user("a:inconnu:0") is None
        assert load_user(f"x:{account['id']}:0") is None
        assert load_user(account["id"]) is None


def test_staff_ids_dispatch_to_the_staff_repository(app, services, monkeypatch):
    monkeypatch.setattr(services.repos, "staff", FakeStaff({"ag1": {"id": "ag1", "role": "instructeur"}}))
    with app.app_context():
        user = load_user("s:ag1:0")
        assert isinstance(user, StaffUser) and user.kind == "staff" and user.roles == ["instructeur"]
        assert user.get_id() == "s:ag1:0"
        assert load_user("a:ag1:0") is None
