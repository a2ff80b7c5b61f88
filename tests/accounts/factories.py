"""Test data for accounts: valid identity numbers are generated with the check-character functions."""

from zhengwu.accounts.domain import citizen_register, enterprise_register, staff_create
from zhengwu.accounts.domain.identity import credit_code_check_char, resident_id_check_char
from zhengwu.accounts.models import RoleAssignment, StaffProfile, User
from zhengwu.org.enums import RegionLevel
from zhengwu.org.models import Department, Position, Region

PASSWORD = "Zw-test-pass-2026"
SYSTEM = "system:test"


def resident_id(first17: str = "33010219900307123") -> str:
    return first17 + resident_id_check_char(first17)


def credit_code(first17: str = "91330102MA2H3K4L5") -> str:
    return first17 + credit_code_check_char(first17)


def wrong_check_char(number: str, alphabet: str = "0123456789X") -> str:
    return number[:17] + next(c for c in alphabet if c != number[17])


def make_region() -> Region:
    region, _ = Region.objects.get_or_create(
        code="330102000000", defaults={"name": "示范区", "level": RegionLevel.DISTRICT}
    )
    return region


def make_department(name: str = "区行政审批局", code: str = "SP01") -> Department:
    digits = "".join(c for c in code if c.isdigit())
    return Department.objects.create(
        name=name, code=code, credit_code=credit_code(f"11330102MB{digits:0>7}"), region=make_region()
    )


def make_citizen(
    *, phone: str = "13812345678", real_name: str = "张三", id_number: str | None = None, id_type: str = "resident_id"
) -> User:
    return citizen_register(
        real_name=real_name,
        id_type=id_type,
        id_number=id_number or resident_id(),
        phone=phone,
        password=PASSWORD,
    )


def make_enterprise(*, code: str | None = None, name: str = "示范科技有限公司", phone: str = "13912345678") -> User:
    return enterprise_register(
        name=name,
        credit_code=code or credit_code(),
        legal_representative="李四",
        phone=phone,
        password=PASSWORD,
    )


def make_staff(
    username: str = "wangfang",
    *,
    department: Department | None = None,
    display_name: str = "王芳",
    employee_number: str | None = None,
    roles: tuple[str, ...] = (),
    **extra,
) -> User:
    return staff_create(
        actor=SYSTEM,
        username=username,
        display_name=display_name,
        department=department or make_department(),
        employee_number=employee_number or f"E-{username}"[:20],
        password=PASSWORD,
        roles=roles,
        **extra,
    )


def make_staff_record(
    username: str,
    display_name: str,
    department: Department | None = None,
    *roles: str,
    position: Position | None = None,
    employee_number: str | None = None,
    **user_fields,
) -> User:
    """A staff account written straight to the tables, without an audit event (for tests that count audit events),
    and without a staff profile when no department is given."""
    user = User.objects.create_user(
        username=username, password=PASSWORD, kind="staff", display_name=display_name, **user_fields
    )
    if department is not None:
        StaffProfile.objects.create(
            user=user,
            department=department,
            section=position.section if position else None,
            position=position,
            employee_number=employee_number or f"E-{username}"[:20],
        )
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=role) for role in roles])
    return user
