"""staff_create, role_grant and role_revoke: who may call them, what they check, what they audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.accounts.factories import PASSWORD, SYSTEM, make_citizen, make_department, make_staff
from zhengwu.accounts.domain import role_grant, role_revoke, staff_create
from zhengwu.accounts.models import RoleAssignment, StaffProfile, User
from zhengwu.accounts.rules import has_role
from zhengwu.audit.models import AuditEvent
from zhengwu.org.enums import PositionRank
from zhengwu.org.models import Position, Section

pytestmark = pytest.mark.django_db


def staff_input(department_, **overrides) -> dict:
    return {
        "actor": SYSTEM,
        "username": "lisi",
        "display_name": "李四",
        "department": department_,
        "employee_number": "0007",
        "phone": "13700001111",
        "password": PASSWORD,
        "roles": ("handler",),
    } | overrides


def test_staff_create_makes_account_profile_roles_and_one_audit_event():
    department = make_department()
    section = Section.objects.create(department=department, name="审批一科")
    position = Position.objects.create(
        department=department, section=section, title="承办人", rank=PositionRank.HANDLER
    )

    user = staff_create(
        **staff_input(department, section=section, position=position, roles=("handler", "window_clerk"))
    )

    user.refresh_from_db()
    assert (user.username, user.kind, user.display_name, user.phone) == ("lisi", "staff", "李四", "13700001111")
    assert user.check_password(PASSWORD)
    assert not user.is_staff  # Django admin access is granted separately
    profile = StaffProfile.objects.get(user=user)
    assert (profile.department, profile.section, profile.position, profile.employee_number) == (
        department,
        section,
        position,
        "0007",
    )
    assert sorted(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [
        "handler",
        "window_clerk",
    ]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_repr, event.object_id) == ("accounts.staff_created", SYSTEM, str(user.pk))
    assert event.after["roles"] == ["handler", "window_clerk"]
    assert event.after["phone"] == "137****1111"
    assert event.after["password_set"] is True
    assert PASSWORD not in str(event.after)


def test_staff_without_password_cannot_log_in_yet():
    user = staff_create(**staff_input(make_department(), password=None))

    assert not user.has_usable_password()


def test_administrator_may_create_staff_and_is_the_audited_actor():
    department = make_department()
    admin = make_staff("admin1", department=department, roles=("administrator",))

    user = staff_create(**staff_input(department, actor=admin))

    event = AuditEvent.objects.filter(action="accounts.staff_created").last()
    assert (event.actor_id, event.object_id) == (admin.pk, str(user.pk))


@pytest.mark.parametrize("roles", [(), ("handler",), ("supervisor",)])
def test_only_administrators_may_create_staff(roles):
    department = make_department()
    actor = make_staff("actor", department=department, roles=roles)

    with pytest.raises(PermissionDenied):
        staff_create(**staff_input(department, actor=actor))

    assert not User.objects.filter(username="lisi").exists()


def test_citizen_and_anonymous_actors_are_refused():
    department = make_department()
    with pytest.raises(PermissionDenied):
        staff_create(**staff_input(department, actor=make_citizen()))
    with pytest.raises(PermissionDenied):
        staff_create(**staff_input(department, actor=None))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": ""}, "username", "请填写用户名。"),
        ({"username": "li si"}, "username", "用户名只能包含字母、数字和 @/./+/-/_ 字符。"),
        ({"username": "13812345678"}, "username", "工作人员用户名不能使用手机号码或统一社会信用代码的格式。"),
        ({"username": "wangfang"}, "username", "该用户名已被使用。"),
        ({"display_name": " "}, "display_name", "请填写姓名。"),
        ({"department": None}, "department", "请选择所在部门。"),
        ({"employee_number": ""}, "employee_number", "请填写工号。"),
        ({"employee_number": "0001"}, "employee_number", "该工号已被使用。"),
        ({"phone": "0571-888"}, "phone", "请输入11位中国大陆手机号码。"),
        ({"roles": ("handler", "mayor")}, "roles", "无效的角色：mayor。"),
        ({"password": "1234"}, "password", "密码长度太短，至少需要8个字符。"),
    ],
)
def test_bad_staff_input_gives_a_chinese_field_error_and_creates_nothing(overrides, field, message):
    department = make_department()
    make_staff("wangfang", department=department, employee_number="0001")
    before = (User.objects.count(), StaffProfile.objects.count(), AuditEvent.objects.count())

    with pytest.raises(ValidationError) as exc:
        staff_create(**staff_input(department, **overrides))

    assert message in exc.value.message_dict[field]
    assert (User.objects.count(), StaffProfile.objects.count(), AuditEvent.objects.count()) == before


def test_section_and_position_must_belong_to_the_department():
    department = make_department()
    other = make_department("区市场监管局", "SC02")
    section = Section.objects.create(department=other, name="登记科")
    position = Position.objects.create(department=other, title="科长", rank=PositionRank.SECTION_HEAD)

    with pytest.raises(ValidationError) as exc:
        staff_create(**staff_input(department, section=section, position=position))

    assert exc.value.message_dict == {"section": ["科室必须属于所在部门。"], "position": ["岗位必须属于所在部门。"]}


def test_inactive_department_is_refused():
    department = make_department()
    department.is_active = False
    department.save()

    with pytest.raises(ValidationError) as exc:
        staff_create(**staff_input(department))

    assert exc.value.message_dict == {"department": ["该部门已停用。"]}


def test_role_grant_and_revoke_are_audited_and_refresh_the_cached_roles():
    department = make_department()
    user = make_staff(department=department)
    assert not has_role(user, "handler")  # caches the empty role set

    role_grant(actor=SYSTEM, user=user, role="handler")
    assert has_role(user, "handler")

    role_revoke(actor=SYSTEM, user=user, role="handler")
    assert not has_role(user, "handler")

    actions = list(AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", "before", "after"))
    assert actions[-2:] == [
        ("accounts.role_granted", None, {"role": "handler"}),
        ("accounts.role_revoked", {"role": "handler"}, None),
    ]
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_granting_a_held_role_or_revoking_a_missing_one_is_refused():
    user = make_staff(department=make_department(), roles=("handler",))
    events = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as granted:
        role_grant(actor=SYSTEM, user=user, role="handler")
    with pytest.raises(ValidationError) as revoked:
        role_revoke(actor=SYSTEM, user=user, role="supervisor")

    assert granted.value.message_dict == {"role": ["该工作人员已拥有“承办人”角色。"]}
    assert revoked.value.message_dict == {"role": ["该工作人员没有“监察人员”角色。"]}
    assert AuditEvent.objects.count() == events


def test_roles_only_go_to_staff_and_must_exist():
    citizen = make_citizen()
    staff = make_staff(department=make_department())

    with pytest.raises(ValidationError) as not_staff:
        role_grant(actor=SYSTEM, user=citizen, role="handler")
    with pytest.raises(ValidationError) as unknown:
        role_grant(actor=SYSTEM, user=staff, role="mayor")

    assert not_staff.value.message_dict == {"role": ["只能为工作人员账户分配角色。"]}
    assert unknown.value.message_dict == {"role": ["无效的角色。"]}


def test_only_administrators_may_grant_roles():
    department = make_department()
    section_head = make_staff("head", department=department, roles=("section_head",))
    handler = make_staff("handler", department=department)

    with pytest.raises(PermissionDenied):
        role_grant(actor=section_head, user=handler, role="handler")
    with pytest.raises(PermissionDenied):
        role_revoke(actor=section_head, user=section_head, role="section_head")


def test_administrator_cannot_revoke_their_own_administrator_role():
    admin = make_staff("admin1", department=make_department(), roles=("administrator",))

    with pytest.raises(ValidationError) as exc:
        role_revoke(actor=admin, user=admin, role="administrator")

    assert exc.value.message_dict == {"role": ["不能撤销自己的系统管理员角色。"]}
    assert has_role(admin, "administrator")


def test_createsuperuser_makes_a_staff_account():
    user = User.objects.create_superuser("root", "root@example.org", PASSWORD)

    assert (user.kind, user.is_superuser, user.is_staff) == ("staff", True, True)
