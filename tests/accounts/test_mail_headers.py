"""Mail headers survive the outbox round trip exactly as written."""
from email.message import EmailMessage

from runtime.services import services


def test_long_accented_subject_keeps_its_spaces(app):
    subject = "Votre demande de rattachement au tiers TENNIS CLUB DE VANNES a été refusée par l’administrateur"
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = app.config["MAIL_SENDER"]
    message["To"] = "jean.dupond@example.org"
    message.set_content("Bonjour")
    with app.app_context():
        outbox = services().mailer.outbox
        assert outbox.read(outbox.write(message)).subject == subject
