"""Issuing and revoking licences."""

import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.accounts.enums import IdType, UserKind
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.core.links import absolute_url
from zhengwu.licences import rules
from zhengwu.licences.domain.render import licence_pdf_render, qr_png_data_uri, seal_svg, svg_data_uri
from zhengwu.licences.domain.signing import pdf_sign, platform_owner
from zhengwu.licences.enums import LicenceState
from zhengwu.licences.models import Licence, LicenceCounter, LicenceType
from zhengwu.org.models import Department

MAX_VALUE_LENGTH = 500
MAX_REASON_LENGTH = 500


def verification_url(token: str) -> str:
    """Absolute address of the public verification page, as printed on the certificate and in its QR code."""
    return absolute_url(reverse("licences:verify", args=[token]))


def _is_system(actor: Any) -> bool:
    return isinstance(actor, str) and actor.startswith("system:")


def _user_or_none(actor: Any):
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None


def county_name(department: Department) -> str:
    region = department.region
    while region.parent_id is not None:
        region = region.parent
    return region.name


def issuer_name(department: Department, county: str) -> str:
    """区市场监督管理局 → 青川区市场监督管理局; names that already carry the county stay as they are."""
    name = department.name
    if not name.startswith(county) and name[:1] in "区县" and county.endswith(name[:1]):
        return county + name[1:]
    return name


def _holder_identity(holder) -> tuple[str, str, str]:
    """(name, ID number or credit code, label of that number) of a citizen or enterprise account."""
    try:
        if holder.kind == UserKind.CITIZEN:
            profile = holder.citizen
            if profile.id_type == IdType.RESIDENT_ID:
                label = _("公民身份号码")
            else:
                label = _("%(kind)s号码") % {"kind": profile.get_id_type_display()}
            return profile.real_name, profile.id_number, label
        if holder.kind == UserKind.ENTERPRISE:
            profile = holder.enterprise
            return profile.name, profile.credit_code, _("统一社会信用代码")
    except ObjectDoesNotExist:
        pass
    raise ValidationError({"holder": _("持证人账户缺少实名信息，不能发证。")})


def _clean_data(licence_type: LicenceType, data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        raise ValidationError({"data": _("证面信息格式不正确。")})
    specs = licence_type.fields or []
    unknown = sorted(set(data) - {spec["key"] for spec in specs})
    errors: list[str] = []
    if unknown:
        names = {"type": licence_type.name, "keys": "、".join(unknown)}
        errors.append(_("“%(type)s”没有这些信息项：%(keys)s。") % names)
    cleaned: dict[str, str] = {}
    for spec in specs:
        key, label = spec["key"], spec["label"]
        value = data.get(key)
        if value is None:
            value = ""
        if isinstance(value, (int, Decimal, date)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            errors.append(_("%(label)s应为文字。") % {"label": label})
            continue
        value = value.strip()
        if not value:
            if spec.get("required", True):
                errors.append(_("请填写%(label)s。") % {"label": label})
            continue
        if len(value) > MAX_VALUE_LENGTH:
            errors.append(_("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": MAX_VALUE_LENGTH})
            continue
        cleaned[key] = value
    if errors:
        raise ValidationError({"data": errors})
    return cleaned


def _add_years(start: date, years: int) -> date:
    """The last day of a validity of `years` years starting on `start` (2026-11-23 + 5 → 2031-11-22)."""
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28) + timedelta(days=1)
    return end - timedelta(days=1)


def _allocate_number(licence_type: LicenceType, year: int) -> str:
    """Next number of the type for the year; the counter's row lock is held until the caller's transaction ends."""
    counter, _created = LicenceCounter.objects.get_or_create(licence_type=licence_type, year=year)
    counter = LicenceCounter.objects.select_for_update().get(pk=counter.pk)
    while True:
        counter.last_serial += 1
        number = f"{licence_type.code}{year}{counter.last_serial:06d}"
        if not Licence.objects.filter(number=number).exists():  # numbers entered before the counter existed
            break
    counter.save(update_fields=["last_serial"])
    return number


def _rows(licence_type: LicenceType, data: dict[str, str]) -> list[tuple[str, str]]:
    return [(spec["label"], data[spec["key"]]) for spec in licence_type.fields or [] if data.get(spec["key"])]


def licence_issue(
    *,
    actor: Any,
    licence_type: LicenceType,
    holder: Any,
    data: dict[str, Any],
    department: Department | None = None,
    valid_until: date | None = None,
    source: models.Model | None = None,
) -> Licence:
    """Render, sign and store a licence for `holder`, and put it in the holder's licence library."""
    department = department or licence_type.department
    if department is None:
        raise ValidationError({"department": _("请指定发证部门。")})
    if not _is_system(actor) and not rules.can_issue(actor, department.pk):
        raise PermissionDenied(_("您没有以该部门名义签发证照的权限。"))
    if not licence_type.is_active:
        raise ValidationError({"licence_type": _("该证照类型已停用。")})
    if not department.is_active:
        raise ValidationError({"department": _("发证部门已停用。")})
    if holder is None or getattr(holder, "kind", None) not in licence_type.holder_kinds:
        allowed = "、".join(str(UserKind(kind).label) for kind in sorted(licence_type.holder_kinds))
        message = _("“%(type)s”只能发给%(kinds)s。") % {"type": licence_type.name, "kinds": allowed}
        raise ValidationError({"holder": message})
    if not holder.is_active:
        raise ValidationError({"holder": _("持证人账户已停用。")})
    holder_name, holder_number, holder_number_label = _holder_identity(holder)
    cleaned = _clean_data(licence_type, data)
    now = timezone.now()
    today = timezone.localdate(now)
    if valid_until is None and licence_type.validity_years:
        valid_until = _add_years(today, licence_type.validity_years)
    if valid_until is not None and valid_until < today:
        raise ValidationError({"valid_until": _("有效期截止日期不能早于签发日期。")})
    content_type = ContentType.objects.get_for_model(source) if source is not None else None

    county = county_name(department)
    issuer = issuer_name(department, county)
    token = secrets.token_urlsafe(18)  # 144 bits, 24 characters: short enough to print on one line
    url = verification_url(token)
    written = None  # the stored PDF: removed again if the block fails, its audit append at the end included
    try:
        with audited_atomic():
            licence = Licence(
                number=_allocate_number(licence_type, today.year),
                licence_type=licence_type,
                holder=holder,
                holder_kind=holder.kind,
                holder_name=holder_name,
                holder_id_number=holder_number,
                department=department,
                issued_at=now,
                issued_by=_user_or_none(actor),
                valid_until=valid_until,
                data=cleaned,
                state=LicenceState.VALID,
                token=token,
                content_type=content_type,
                object_id=str(source.pk) if source is not None else "",
            )
            pdf = licence_pdf_render(
                licence_type.template_name,
                {
                    "licence": licence,
                    "licence_type": licence_type,
                    "rows": _rows(licence_type, cleaned),
                    "holder_id_label": holder_number_label,
                    "county": county,
                    "issuer_name": issuer,
                    "platform_owner": platform_owner(),
                    "verification_url": url,
                    "qr_uri": qr_png_data_uri(url),
                    "seal_uri": svg_data_uri(seal_svg(issuer)),
                },
            )
            reason = _("签发%(type)s") % {"type": licence_type.name}
            signed, key = pdf_sign(pdf, department=department, reason=reason, location=county)
            licence.pdf_sha256 = hashlib.sha256(signed).hexdigest()
            licence.signer_fingerprint = key.fingerprint
            licence.pdf.save(f"{licence.number}.pdf", ContentFile(signed), save=False)
            written = licence.pdf
            licence.save()
            audit_record(
                actor=actor,
                action="licences.issued",
                obj=licence,
                after={
                    "number": licence.number,
                    "licence_type": licence_type.code,
                    "holder": holder.pk,
                    "holder_kind": licence.holder_kind,
                    "holder_name": holder_name,
                    "holder_id_number": mask_id_number(holder_number),
                    "department": department.pk,
                    "valid_until": valid_until,
                    "pdf_sha256": licence.pdf_sha256,
                    "signer_fingerprint": key.fingerprint,
                    "source": f"{content_type.app_label}.{content_type.model}:{licence.object_id}" if source else None,
                },
            )
    except BaseException:
        if written is not None:
            written.delete(save=False)
        raise
    return licence


def licence_revoke(*, actor: Any, licence: Licence, reason: str) -> Licence:
    """Revoke a valid licence; its verification page and any uploaded copy then say so."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写撤销原因。")})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": _("撤销原因不能超过 %(n)d 个字。") % {"n": MAX_REASON_LENGTH}})
    if not _is_system(actor) and not rules.can_revoke(actor, licence):
        raise PermissionDenied(_("您没有撤销该证照的权限。"))
    with audited_atomic():
        locked = Licence.objects.select_for_update().select_related("licence_type").get(pk=licence.pk)
        if locked.state != LicenceState.VALID:
            raise ValidationError(_("该证照已撤销，不能重复撤销。"))
        locked.state = LicenceState.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_by = _user_or_none(actor)
        locked.revocation_reason = reason
        locked.save(update_fields=["state", "revoked_at", "revoked_by", "revocation_reason"])
        audit_record(
            actor=actor,
            action="licences.revoked",
            obj=locked,
            before={"state": LicenceState.VALID},
            after={"state": locked.state, "reason": reason},
        )
    for field in ("state", "revoked_at", "revoked_by", "revocation_reason"):
        setattr(licence, field, getattr(locked, field))
    return locked
