"""Sending e-mail: the one place that speaks SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol


class Mailer(Protocol):
    def send(self, to: list[str], subject: str, body: str) -> None: ...


class SmtpMailer:
    """Plain SMTP to a relay of the agency's network (no TLS or login: set those on the relay)."""

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, to: list[str], subject: str, body: str) -> None:
        message = EmailMessage()  # UTF-8 headers and body: Vietnamese needs no care here
        message["From"], message["To"], message["Subject"] = self.sender, ", ".join(to), subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(message)
