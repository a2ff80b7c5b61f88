"""Self-registration of citizens (自然人) and enterprises (法人)."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext as _

from zhengwu.accounts.domain.identity import (
    credit_code_error,
    id_number_error,
    id_number_normalise,
    is_mobile_phone,
    mask_id_number,
    mask_name,
    mask_phone,
    phone_normalise,
)
from zhengwu.accounts.domain.passwords import password_problems
from zhengwu.accounts.enums import PUBLIC_KINDS, IdType, UserKind
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile, User
from zhengwu.audit.domain import audit_record, audited_atomic

_HAS_DIGIT = re.compile(r"\d")


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError({field: messages for field, messages in self.items()})


def _check_person_name(errors: _Errors, field: str, value: str, *, label: str, max_length: int) -> None:
    if not value:
        errors.add(field, _("请填写%(label)s。") % {"label": label})
    elif len(value) > max_length:
        errors.add(field, _("%(label)s不能超过%(n)d个字符。") % {"label": label, "n": max_length})
    elif _HAS_DIGIT.search(value):
        errors.add(field, _("%(label)s不能包含数字。") % {"label": label})


def _check_mobile(errors: _Errors, phone: str) -> None:
    if not phone:
        errors.add("phone", _("请填写手机号码。"))
    elif not is_mobile_phone(phone):
        errors.add("phone", _("请输入11位中国大陆手机号码。"))
    elif _phone_taken(phone):
        errors.add("phone", _("该手机号码已注册，请直接登录或使用其他手机号码。"))


def _phone_taken(phone: str) -> bool:
    """A phone identifies one public account; it must also not be anybody's username."""
    return User.objects.filter(Q(phone=phone, kind__in=PUBLIC_KINDS) | Q(username=phone)).exists()


def _check_password(errors: _Errors, password: str, *, candidate: User) -> None:
    if not password:
        errors.add("password", _("请设置密码。"))
        return
    for message in password_problems(password, user=candidate):
        errors.add("password", message)


@dataclass(frozen=True)
class CitizenRegistration:
    real_name: str
    id_type: str
    id_number: str
    phone: str
    password: str


def citizen_registration_validate(
    *, real_name: str, id_type: str, id_number: str, phone: str, password: str
) -> CitizenRegistration:
    """Normalise and check a citizen registration; raise ValidationError with every problem by field."""
    data = CitizenRegistration(
        real_name=" ".join(real_name.split()),
        id_type=id_type,
        id_number=id_number_normalise(id_number),
        phone=phone_normalise(phone),
        password=password,
    )
    errors = _Errors()
    _check_person_name(errors, "real_name", data.real_name, label=_("真实姓名"), max_length=50)
    if data.id_type not in IdType.values:
        errors.add("id_type", _("请选择有效的证件类型。"))
    elif not data.id_number:
        errors.add("id_number", _("请填写证件号码。"))
    elif (problem := id_number_error(data.id_type, data.id_number)) is not None:
        errors.add("id_number", problem)
    elif CitizenProfile.objects.filter(id_type=data.id_type, id_number=data.id_number).exists():
        errors.add("id_number", _("该证件号码已注册，请直接登录；如忘记密码请联系客服。"))
    _check_mobile(errors, data.phone)
    _check_password(
        errors, data.password, candidate=User(username=data.phone, display_name=data.real_name, phone=data.phone)
    )
    errors.raise_if_any()
    return data


def citizen_register(*, real_name: str, id_type: str, id_number: str, phone: str, password: str) -> User:
    """Register a citizen; the mobile number becomes the username."""
    data = citizen_registration_validate(
        real_name=real_name, id_type=id_type, id_number=id_number, phone=phone, password=password
    )
    try:
        with audited_atomic():
            user = User(username=data.phone, kind=UserKind.CITIZEN, display_name=data.real_name, phone=data.phone)
            user.set_password(data.password)
            user.save()
            CitizenProfile.objects.create(
                user=user, real_name=data.real_name, id_type=data.id_type, id_number=data.id_number
            )
            audit_record(
                actor=user,
                action="accounts.citizen_registered",
                obj=user,
                after={
                    "kind": UserKind.CITIZEN.value,
                    "real_name": mask_name(data.real_name),
                    "id_type": data.id_type,
                    "id_number": mask_id_number(data.id_number),
                    "phone": mask_phone(data.phone),
                },
            )
    except IntegrityError:
        # A concurrent registration won the race: report it the same way as the pre-check would.
        citizen_registration_validate(
            real_name=real_name, id_type=id_type, id_number=id_number, phone=phone, password=password
        )
        raise
    return user


@dataclass(frozen=True)
class EnterpriseRegistration:
    name: str
    credit_code: str
    legal_representative: str
    phone: str
    password: str


def enterprise_registration_validate(
    *, name: str, credit_code: str, legal_representative: str, phone: str, password: str
) -> EnterpriseRegistration:
    """Normalise and check an enterprise registration; raise ValidationError with every problem by field."""
    data = EnterpriseRegistration(
        name=" ".join(name.split()),
        credit_code=re.sub(r"\s", "", credit_code).upper(),
        legal_representative=" ".join(legal_representative.split()),
        phone=phone_normalise(phone),
        password=password,
    )
    errors = _Errors()
    if not data.name:
        errors.add("name", _("请填写单位名称。"))
    elif len(data.name) > 150:
        errors.add("name", _("单位名称不能超过150个字符。"))
    if not data.credit_code:
        errors.add("credit_code", _("请填写统一社会信用代码。"))
    elif (problem := credit_code_error(data.credit_code)) is not None:
        errors.add("credit_code", problem)
    elif (
        EnterpriseProfile.objects.filter(credit_code=data.credit_code).exists()
        or User.objects.filter(username=data.credit_code).exists()
    ):
        errors.add("credit_code", _("该统一社会信用代码已注册，请直接登录。"))
    _check_person_name(
        errors, "legal_representative", data.legal_representative, label=_("法定代表人姓名"), max_length=50
    )
    _check_mobile(errors, data.phone)
    _check_password(
        errors, data.password, candidate=User(username=data.credit_code, display_name=data.name, phone=data.phone)
    )
    errors.raise_if_any()
    return data


def enterprise_register(
    *, name: str, credit_code: str, legal_representative: str, phone: str, password: str, address: str = ""
) -> User:
    """Register a legal person; the 统一社会信用代码 (upper-case) becomes the username."""
    data = enterprise_registration_validate(
        name=name, credit_code=credit_code, legal_representative=legal_representative, phone=phone, password=password
    )
    try:
        with audited_atomic():
            user = User(username=data.credit_code, kind=UserKind.ENTERPRISE, display_name=data.name, phone=data.phone)
            user.set_password(data.password)
            user.save()
            EnterpriseProfile.objects.create(
                user=user,
                name=data.name,
                credit_code=data.credit_code,
                legal_representative=data.legal_representative,
                address=address.strip()[:200],
            )
            audit_record(
                actor=user,
                action="accounts.enterprise_registered",
                obj=user,
                after={
                    "kind": UserKind.ENTERPRISE.value,
                    "name": data.name,
                    "credit_code": data.credit_code,
                    "legal_representative": mask_name(data.legal_representative),
                    "phone": mask_phone(data.phone),
                },
            )
    except IntegrityError:
        enterprise_registration_validate(
            name=name,
            credit_code=credit_code,
            legal_representative=legal_representative,
            phone=phone,
            password=password,
        )
        raise
    return user
