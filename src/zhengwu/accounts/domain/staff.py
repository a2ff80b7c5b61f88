"""Staff accounts and their roles; only account managers (administrators, superusers) or the system change them."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext as _

from zhengwu.accounts.domain.identity import is_mobile_phone, mask_phone, phone_normalise
from zhengwu.accounts.domain.passwords import password_problems
from zhengwu.accounts.enums import Role, UserKind
from zhengwu.accounts.models import RoleAssignment, StaffProfile, User
from zhengwu.accounts.rules import can_manage_accounts, user_roles_forget
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.org.models import Department, Position, Section, Window

# Usernames that look like a mobile number or a credit code are reserved for public accounts.
_PUBLIC_LOOKING_USERNAME = re.compile(r"^(1[3-9]\d{9}|[0-9A-Z]{18})$", re.IGNORECASE)


def _check_actor(actor: Any) -> None:
    """A user who may manage accounts, or a system actor string such as "system:seed"."""
    if isinstance(actor, str) and actor.startswith("system:"):
        return
    if not can_manage_accounts(actor):
        raise PermissionDenied(_("只有系统管理员可以管理工作人员账户和角色。"))


@dataclass(frozen=True)
class StaffCreation:
    username: str
    display_name: str
    department: Department
    section: Section | None
    position: Position | None
    window: Window | None
    employee_number: str
    phone: str
    password: str | None
    roles: tuple[str, ...]


def staff_create_validate(
    *,
    username: str,
    display_name: str,
    department: Department | None,
    section: Section | None = None,
    position: Position | None = None,
    window: Window | None = None,
    employee_number: str,
    phone: str = "",
    password: str | None = None,
    roles: Iterable[str] = (),
) -> StaffCreation:
    """Normalise and check a new staff account; raise ValidationError with every problem by field."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    username = username.strip()
    display_name = " ".join(display_name.split())
    employee_number = employee_number.strip()
    phone = phone_normalise(phone)
    roles = tuple(dict.fromkeys(roles))

    if not username:
        add("username", _("请填写用户名。"))
    elif len(username) > 150:
        add("username", _("用户名不能超过150个字符。"))
    elif not re.match(r"^[\w.@+-]+\Z", username):
        add("username", _("用户名只能包含字母、数字和 @/./+/-/_ 字符。"))
    elif _PUBLIC_LOOKING_USERNAME.match(username):
        add("username", _("工作人员用户名不能使用手机号码或统一社会信用代码的格式。"))
    elif User.objects.filter(Q(username=username) | Q(phone=username)).exists():
        add("username", _("该用户名已被使用。"))
    if not display_name:
        add("display_name", _("请填写姓名。"))
    elif len(display_name) > 100:
        add("display_name", _("姓名不能超过100个字符。"))
    if department is None:
        add("department", _("请选择所在部门。"))
    elif not department.is_active:
        add("department", _("该部门已停用。"))
    else:
        if section is not None and section.department_id != department.pk:
            add("section", _("科室必须属于所在部门。"))
        if position is not None and position.department_id != department.pk:
            add("position", _("岗位必须属于所在部门。"))
    if window is not None and not window.is_active:
        add("window", _("该窗口已停用。"))
    if not employee_number:
        add("employee_number", _("请填写工号。"))
    elif len(employee_number) > 20:
        add("employee_number", _("工号不能超过20个字符。"))
    elif StaffProfile.objects.filter(employee_number=employee_number).exists():
        add("employee_number", _("该工号已被使用。"))
    if phone and not is_mobile_phone(phone):
        add("phone", _("请输入11位中国大陆手机号码。"))
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        add("roles", _("无效的角色：%(roles)s。") % {"roles": "、".join(map(str, unknown))})
    if password:
        for message in password_problems(
            password, user=User(username=username, display_name=display_name, phone=phone)
        ):
            add("password", message)
    if errors:
        raise ValidationError(errors)
    return StaffCreation(
        username=username,
        display_name=display_name,
        department=department,
        section=section,
        position=position,
        window=window,
        employee_number=employee_number,
        phone=phone,
        password=password or None,
        roles=roles,
    )


def staff_create(
    *,
    actor: Any,
    username: str,
    display_name: str,
    department: Department,
    section: Section | None = None,
    position: Position | None = None,
    window: Window | None = None,
    employee_number: str,
    phone: str = "",
    password: str | None = None,
    roles: Iterable[str] = (),
) -> User:
    """Create a staff account with its profile and roles. Without a password the account cannot log in yet."""
    _check_actor(actor)
    data = staff_create_validate(
        username=username,
        display_name=display_name,
        department=department,
        section=section,
        position=position,
        window=window,
        employee_number=employee_number,
        phone=phone,
        password=password,
        roles=roles,
    )
    try:
        with audited_atomic():
            user = User(username=data.username, kind=UserKind.STAFF, display_name=data.display_name, phone=data.phone)
            if data.password:
                user.set_password(data.password)
            else:
                user.set_unusable_password()
            user.save()
            StaffProfile.objects.create(
                user=user,
                department=data.department,
                section=data.section,
                position=data.position,
                window=data.window,
                employee_number=data.employee_number,
            )
            RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=role) for role in data.roles])
            audit_record(
                actor=actor,
                action="accounts.staff_created",
                obj=user,
                after={
                    "username": data.username,
                    "display_name": data.display_name,
                    "department": data.department.pk,
                    "section": data.section.pk if data.section else None,
                    "position": data.position.pk if data.position else None,
                    "window": data.window.pk if data.window else None,
                    "employee_number": data.employee_number,
                    "phone": mask_phone(data.phone),
                    "roles": sorted(data.roles),
                    "password_set": bool(data.password),
                },
            )
    except IntegrityError:
        staff_create_validate(
            username=username,
            display_name=display_name,
            department=department,
            section=section,
            position=position,
            window=window,
            employee_number=employee_number,
            phone=phone,
            password=password,
            roles=roles,
        )
        raise
    return user


def _check_role_target(user: User, role: str) -> Role:
    if role not in Role.values:
        raise ValidationError({"role": _("无效的角色。")})
    if user.kind != UserKind.STAFF:
        raise ValidationError({"role": _("只能为工作人员账户分配角色。")})
    return Role(role)


def role_grant(*, actor: Any, user: User, role: str) -> RoleAssignment:
    _check_actor(actor)
    role = _check_role_target(user, role)
    if RoleAssignment.objects.filter(user=user, role=role).exists():
        raise ValidationError({"role": _("该工作人员已拥有“%(role)s”角色。") % {"role": role.label}})
    try:
        with audited_atomic():
            assignment = RoleAssignment.objects.create(user=user, role=role)
            audit_record(
                actor=actor,
                action="accounts.role_granted",
                obj=user,
                after={"role": role.value},
            )
    except IntegrityError:
        raise ValidationError({"role": _("该工作人员已拥有“%(role)s”角色。") % {"role": role.label}}) from None
    user_roles_forget(user)
    return assignment


def role_revoke(*, actor: Any, user: User, role: str) -> None:
    _check_actor(actor)
    role = _check_role_target(user, role)
    if role == Role.ADMINISTRATOR and getattr(actor, "pk", None) == user.pk and not user.is_superuser:
        raise ValidationError({"role": _("不能撤销自己的系统管理员角色。")})
    with audited_atomic():
        deleted, _details = RoleAssignment.objects.filter(user=user, role=role).delete()
        if not deleted:
            raise ValidationError({"role": _("该工作人员没有“%(role)s”角色。") % {"role": role.label}})
        audit_record(
            actor=actor,
            action="accounts.role_revoked",
            obj=user,
            before={"role": role.value},
        )
    user_roles_forget(user)
