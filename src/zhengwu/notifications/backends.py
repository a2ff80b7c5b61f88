"""Channel backends: the SMS gateway interface with its shipped gateways, e-mail through django.core.mail,
and the texts each channel carries.

Settings (all optional, read with getattr at send time):

- ``ZHENGWU_SMS_BACKEND``: dotted path of an ``SmsGateway`` subclass. Default ``FileSmsGateway``
  (``LocmemSmsGateway`` while tests run), so nothing leaves the machine until a provider is configured.
- ``ZHENGWU_SMS_FILE``: the file ``FileSmsGateway`` appends to; default ``DATA_DIR/sms.log``.
- ``ZHENGWU_SMS_SIGNATURE``: the 短信签名 put in 【】 before every text; default the platform name.
- ``ZHENGWU_SMS_MAX_SEGMENTS``: how many segments a text may use (1 = 70 characters, n > 1 = 67·n); default 2.
- ``ZHENGWU_PUBLIC_URL``: the site's public address (``https://zwfw.example.gov.cn``); links in SMS and e-mail
  are made absolute with it, and left out when it is empty.
- E-mail: Django's ``EMAIL_BACKEND``, ``EMAIL_HOST`` … and ``DEFAULT_FROM_EMAIL``.

Adding an SMS provider: subclass ``SmsGateway`` in your own module, implement ``send(phone, text)`` so that it
returns the provider's message id and raises ``SmsError`` (with a short reason) when the provider refuses or
cannot be reached, read its credentials from settings/environment in ``__init__``, and point
``ZHENGWU_SMS_BACKEND`` at it. A gateway is created per sending batch and may be called from several worker
processes at once; failed texts are retried by the delivery sweep (at most ``MAX_ATTEMPTS`` times in all).
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

SINGLE_SEGMENT_CHARS = 70  # one SMS in UCS-2 (any Chinese text)
CONCAT_SEGMENT_CHARS = 67  # each part of a concatenated SMS (3 characters go to the part header)
ELLIPSIS = "…"


class SmsError(Exception):
    """The gateway did not take the text; the message is the reason recorded on the delivery."""


class SmsGateway:
    """Interface of an SMS gateway."""

    def send(self, phone: str, text: str) -> str:
        """Send `text` to `phone`; return the provider's reference. Raise SmsError on failure."""
        raise NotImplementedError


class FileSmsGateway(SmsGateway):
    """Appends each text as one JSON line to a file: the development and embedded default."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = path

    def file_path(self) -> Path:
        configured = self.path or getattr(settings, "ZHENGWU_SMS_FILE", "")
        return Path(configured) if configured else Path(settings.DATA_DIR) / "sms.log"

    def send(self, phone: str, text: str) -> str:
        reference = f"file-{uuid.uuid4().hex}"
        record = {"at": timezone.now().isoformat(), "phone": phone, "text": text, "reference": reference}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        path = self.file_path()
        try:
            try:
                stream = path.open("a", encoding="utf-8")
            except FileNotFoundError:  # the directory is made on the first text, not checked on every one
                path.parent.mkdir(parents=True, exist_ok=True)
                stream = path.open("a", encoding="utf-8")
            # One write to a file opened for appending: lines from concurrent workers never interleave.
            with stream:
                stream.write(line)
        except OSError as exc:
            raise SmsError(f"写入短信文件失败：{exc}") from exc
        return reference


class ConsoleSmsGateway(SmsGateway):
    """Prints each text to standard output (like Django's console e-mail backend)."""

    _lock = threading.Lock()

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, phone: str, text: str) -> str:
        reference = f"console-{uuid.uuid4().hex}"
        stream = self.stream or sys.stdout
        with self._lock:
            stream.write(f"[短信] {phone}：{text}（{reference}）\n")
            stream.flush()
        return reference


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str
    reference: str


# What LocmemSmsGateway sent, for tests (like django.core.mail.outbox).
sms_outbox: list[SentSms] = []


class LocmemSmsGateway(SmsGateway):
    """Keeps texts in `sms_outbox`; the default while tests run."""

    def send(self, phone: str, text: str) -> str:
        reference = f"locmem-{uuid.uuid4().hex}"
        sms_outbox.append(SentSms(phone=phone, text=text, reference=reference))
        return reference


def sms_gateway() -> SmsGateway:
    path = getattr(settings, "ZHENGWU_SMS_BACKEND", "") or (
        "zhengwu.notifications.backends.LocmemSmsGateway"
        if getattr(settings, "TESTING", False)
        else "zhengwu.notifications.backends.FileSmsGateway"
    )
    return import_string(path)()


# ---- texts ---------------------------------------------------------------------------------------
def absolute_url(link: str) -> str:
    """The link made absolute with ZHENGWU_PUBLIC_URL, or "" when there is no link or no public address."""
    base = (getattr(settings, "ZHENGWU_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{link}" if link and base else ""


def sms_signature() -> str:
    configured = getattr(settings, "ZHENGWU_SMS_SIGNATURE", None)
    if configured is not None:
        return configured
    return getattr(settings, "ZHENGWU_SITE_NAME", "") or "政务服务平台"


def sms_max_chars(segments: int | None = None) -> int:
    if segments is None:
        segments = int(getattr(settings, "ZHENGWU_SMS_MAX_SEGMENTS", 2))
    segments = max(segments, 1)
    return SINGLE_SEGMENT_CHARS if segments == 1 else CONCAT_SEGMENT_CHARS * segments


def sms_text(*, subject: str, body: str, url: str = "", signature: str = "", limit: int | None = None) -> str:
    """【签名】subject：body url — body then subject cut short with "…" to fit `limit`; the link is always whole."""
    limit = sms_max_chars() if limit is None else limit
    head = f"【{signature}】" if signature else ""
    tail = f" {url}" if url else ""
    subject, body = " ".join(subject.split()), " ".join(body.split())
    text = f"{subject}：{body}" if body else subject
    room = limit - len(head) - len(tail)
    if len(text) > room:
        text = text[: room - 1] + ELLIPSIS if room > 1 else ""
    return head + text + tail


def message_sms_text(message) -> str:
    return sms_text(
        subject=message.subject, body=message.body, url=absolute_url(message.link), signature=sms_signature()
    )


def send_sms(*, phone: str, text: str) -> str:
    return sms_gateway().send(phone, text)


def send_email(*, to: str, message) -> str:
    """Send one message by e-mail through settings.EMAIL_BACKEND; return its Message-ID."""
    platform_name = getattr(settings, "ZHENGWU_SITE_NAME", "") or "政务服务平台"
    body = render_to_string(
        "notifications/email.txt",
        {"message": message, "url": absolute_url(message.link), "platform_name": platform_name},
    ).strip()
    body += "\n"
    message_id = make_msgid(domain=DNS_NAME)
    email = EmailMessage(subject=message.subject, body=body, to=[to], headers={"Message-ID": message_id})
    email.send(fail_silently=False)
    return message_id
