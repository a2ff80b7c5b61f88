"""The application form (申请表) of an item: the entries its certificate is filled from.

An item mapped to a licence (`ItemCertificate`) asks, on every intake channel, for each certificate field
whose source is `form:<key>`, labelled and required as the licence type declares it. The answers are kept in
`Case.form_data` and fill the certificate when the case is granted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zhengwu.catalog.models import ItemVersion

MAX_ANSWER = 200


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    required: bool


def application_fields(version: ItemVersion) -> list[FormField]:
    """The entries of the item's application form, in the licence type's field order."""
    from zhengwu.cases.domain.item_config import certificate_sources_read

    mapping = certificate_sources_read(version.item_id)  # hand-written, read afresh (ADR 0019, sixth pass)
    if mapping is None:
        return []
    field_sources, licence_fields = mapping
    wanted = {}
    for licence_key, source in (field_sources or {}).items():
        if isinstance(source, str) and source.startswith("form:"):
            wanted[licence_key] = source.removeprefix("form:")
    fields, seen = [], set()
    for spec in licence_fields or []:
        key = wanted.get(spec.get("key"))
        if key and key not in seen:
            seen.add(key)
            fields.append(FormField(key=key, label=spec.get("label") or key, required=spec.get("required", True)))
    return fields


def application_form_clean(version: ItemVersion, answers: dict[str, Any] | None) -> dict[str, str]:
    """The answers to the item's form, trimmed; every required entry must be answered (Chinese errors per key)."""
    answers = answers or {}
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in application_fields(version):
        value = str(answers.get(field.key) or "").strip()
        if not value and field.required:
            errors[field.key] = _("请填写%(label)s。") % {"label": field.label}
        elif len(value) > MAX_ANSWER:
            errors[field.key] = _("%(label)s不能超过 %(max)d 个字符。") % {"label": field.label, "max": MAX_ANSWER}
        elif value:
            cleaned[field.key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
