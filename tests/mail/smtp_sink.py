"""An SMTP server for the notification tests (tests/tests/e2e/notifications.rs).

    PYTHONPATH=tests/mail python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR

accepts every message and, before answering 250, writes it to DIR twice: as sent
(<id>.eml) and decoded (<id>.json: envelope recipients, To, From, Subject, Message-ID, and the
plain-text and HTML bodies with their transfer encodings undone). Each file appears whole
(written beside, then renamed), so a reader never sees half a message.
"""

import email
import email.policy
import json
import os
import uuid


class Sink:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes one argument: the directory to write to")
        return cls(args[0])

    def _write(self, name, data):
        partial = os.path.join(self.directory, "." + name + ".partial")
        with open(partial, "wb") as f:
            f.write(data)
        os.rename(partial, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)

        def body(kind):
            part = message.get_body(preferencelist=(kind,))
            return part.get_content() if part is not None else None

        decoded = {
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_from": envelope.mail_from,
            "to": str(message["To"]),
            "from": str(message["From"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "text": body("plain"),
            "html": body("html"),
        }
        name = uuid.uuid4().hex
        self._write(name + ".eml", raw)
        self._write(name + ".json", json.dumps(decoded, ensure_ascii=False).encode("utf-8"))
        return "250 Message accepted for delivery"
