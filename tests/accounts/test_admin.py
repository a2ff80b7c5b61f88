"""Admin for accounts: masked lists with fixed query counts, staff created and roles changed through the domain."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import (
    PASSWORD,
    credit_code,
    make_citizen,
    make_department,
    make_enterprise,
    make_staff,
    resident_id,
)
from zhengwu.accounts.models import RoleAssignment, StaffProfile, User
from zhengwu.audit.models import AuditEvent
from zhengwu.org.enums import PositionRank
from zhengwu.org.models import Position, Section

pytestmark = pytest.mark.django_db


def add_citizens(count: int, start: int = 0) -> list[str]:
    numbers = []
    for n in range(start, start + count):
        number = resident_id(f"33010219900307{n:03d}")
        numbers.append(number)
        make_citizen(phone=f"1381234{n:04d}", id_number=number, real_name="张三")
    return numbers


def add_staff(count: int, start: int = 0) -> None:
    department = make_department(f"部门{start}", f"D{start:03d}")
    section = Section.objects.create(department=department, name="一科")
    position = Position.objects.create(department=department, title="承办人", rank=PositionRank.HANDLER)
    for n in range(start, start + count):
        make_staff(
            f"staff{n}",
            department=department,
            section=section,
            position=position,
            roles=("handler", "window_clerk"),
            employee_number=f"N{n}",
        )


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "add_rows"),
    [
        ("/admin/accounts/user/", add_citizens),
        ("/admin/accounts/citizenprofile/", add_citizens),
        ("/admin/accounts/staffprofile/", add_staff),
    ],
)
def test_changelist_queries_do_not_grow_with_rows(admin_client, url, add_rows):
    add_rows(2)
    few = query_count(admin_client, url)
    add_rows(6, start=10)

    assert query_count(admin_client, url) == few


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session, user, count, count (unfiltered), rows
        ("/admin/accounts/user/", 5),
        ("/admin/accounts/citizenprofile/", 5),
        ("/admin/accounts/enterpriseprofile/", 5),
        # + the department filter's choices, + the roles prefetch
        ("/admin/accounts/staffprofile/", 7),
    ],
)
def test_changelist_query_counts_are_pinned(admin_client, django_assert_num_queries, url, queries):
    add_citizens(3)
    add_staff(3)
    make_enterprise()

    with django_assert_num_queries(queries):
        admin_client.get(url)


def test_user_and_citizen_lists_mask_phones_and_id_numbers(admin_client):
    numbers = add_citizens(2)

    users = admin_client.get("/admin/accounts/user/").content.decode()
    citizens = admin_client.get("/admin/accounts/citizenprofile/").content.decode()

    for html in (users, citizens):
        assert "138****0000" in html
        assert "13812340000" not in html
        for number in numbers:
            assert number not in html
    assert f"{numbers[0][:3]}***********{numbers[0][-4:]}" in citizens


def test_citizen_change_page_shows_the_masked_number_only(admin_client):
    number = resident_id()
    user = make_citizen(id_number=number)

    html = admin_client.get(f"/admin/accounts/citizenprofile/{user.citizen.pk}/change/").content.decode()

    assert number[:3] + "*" * 11 + number[-4:] in html
    assert number not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [("张三", ["138****0000", "138****0001"]), ("13812340001", ["138****0001"])],
)
def test_search_by_name_and_phone(admin_client, query, expected):
    add_citizens(2)

    html = admin_client.get("/admin/accounts/citizenprofile/", {"q": query}).content.decode()

    assert [phone for phone in ("138****0000", "138****0001") if phone in html] == expected


def test_enterprise_list_shows_credit_code_and_masked_phone(admin_client):
    code = credit_code()
    make_enterprise(code=code, phone="13912345678")

    html = admin_client.get("/admin/accounts/enterpriseprofile/", {"q": "示范"}).content.decode()

    assert code in html
    assert "139****5678" in html
    assert "13912345678" not in html


def test_staff_list_shows_roles_in_enum_order(admin_client):
    make_staff("wangfang", department=make_department(), roles=("section_head", "handler"))

    html = admin_client.get("/admin/accounts/staffprofile/").content.decode()

    assert "承办人、科长" in html


def test_adding_staff_in_the_admin_goes_through_staff_create(admin_client):
    department = make_department()

    response = admin_client.post(
        "/admin/accounts/staffprofile/add/",
        {
            "username": "lisi",
            "display_name": "李四",
            "phone": "13700001111",
            "password": PASSWORD,
            "department": department.pk,
            "section": "",
            "position": "",
            "window": "",
            "employee_number": "0009",
            "roles": ["handler", "fee_clerk"],
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="lisi")
    assert (user.kind, user.display_name, user.staff.employee_number) == ("staff", "李四", "0009")
    assert user.check_password(PASSWORD)
    assert sorted(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["fee_clerk", "handler"]
    assert response["Location"] == "/admin/accounts/staffprofile/"
    event = AuditEvent.objects.get(object_id=str(user.pk))
    assert (event.action, event.actor_repr) == ("accounts.staff_created", "admin")


def test_admin_staff_form_shows_domain_errors_by_field(admin_client):
    department = make_department()
    make_staff("wangfang", department=department, employee_number="0001")

    response = admin_client.post(
        "/admin/accounts/staffprofile/add/",
        {"username": "wangfang", "display_name": "王芳", "department": department.pk, "employee_number": "0001"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "该用户名已被使用。" in html
    assert "该工号已被使用。" in html
    assert StaffProfile.objects.count() == 1


def test_changing_roles_in_the_admin_grants_and_revokes_through_the_domain(admin_client):
    department = make_department()
    user = make_staff("wangfang", department=department, roles=("handler",), employee_number="0001")
    profile = user.staff

    response = admin_client.post(
        f"/admin/accounts/staffprofile/{profile.pk}/change/",
        {
            "department": department.pk,
            "section": "",
            "position": "",
            "window": "",
            "employee_number": "0001",
            "roles": ["section_head"],
        },
    )

    assert response.status_code == 302
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["section_head"]
    actions = list(AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert actions[-2:] == ["accounts.role_granted", "accounts.role_revoked"]


def test_staff_section_must_belong_to_the_department_in_the_admin(admin_client):
    department = make_department()
    other = make_department("区市场监管局", "SC02")
    section = Section.objects.create(department=other, name="登记科")
    user = make_staff("wangfang", department=department, employee_number="0001")

    response = admin_client.post(
        f"/admin/accounts/staffprofile/{user.staff.pk}/change/",
        {"department": department.pk, "section": section.pk, "employee_number": "0001"},
    )

    assert response.status_code == 200
    assert "科室必须属于所在部门。" in response.content.decode()


def test_deleting_a_user_in_the_admin_audits_without_the_password_hash(admin_client):
    user = make_citizen(phone="13812345678")
    password_hash = user.password

    response = admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    event = AuditEvent.objects.get(action="accounts.user.deleted")
    assert event.before["phone"] == "138****5678"
    assert event.before["username"] == "138****5678"
    assert password_hash not in str(event.before)


def test_changing_a_password_in_the_admin_is_audited(admin_client):
    user = make_citizen()

    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "New-pass-2026!", "password2": "New-pass-2026!", "usable_password": "true"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("New-pass-2026!")
    event = AuditEvent.objects.get(action="accounts.user.password_changed")
    assert event.after == {"usable_password": True}


def test_user_admin_add_sets_kind(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "ops",
            "kind": "staff",
            "display_name": "运维",
            "phone": "",
            "usable_password": "true",
            "password1": "Ops-pass-2026!",
            "password2": "Ops-pass-2026!",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="ops")
    assert (user.kind, user.display_name) == ("staff", "运维")
    event = AuditEvent.objects.get(action="accounts.user.created")
    assert "Ops-pass-2026!" not in str(event.after)


def test_deleting_a_citizen_profile_deletes_the_account_and_audits_masked_values(admin_client):
    number = resident_id()
    user = make_citizen(phone="13812345678", id_number=number)

    response = admin_client.post(f"/admin/accounts/citizenprofile/{user.citizen.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    event = AuditEvent.objects.get(action="accounts.user.deleted")
    assert number not in str(event.before)
    assert event.before["kind"] == "citizen"


def test_login_failures_are_listed_for_administrators(admin_client):
    from zhengwu.accounts.domain import login_failure_record

    login_failure_record(username="13812345678", ip="10.0.0.1")

    html = admin_client.get("/admin/accounts/loginfailure/").content.decode()

    assert "13812345678" in html
    assert "10.0.0.1" in html


def test_changing_roles_in_the_admin_appends_every_event_of_the_save_together_at_the_end(admin_client):
    from tests.audit.appends import assert_one_append, audit_appends

    department = make_department()
    user = make_staff("wangfang", department=department, roles=("handler",), employee_number="0001")
    data = {"department": department.pk, "section": "", "position": "", "window": "", "employee_number": "0002"}
    with audit_appends() as appends:
        response = admin_client.post(
            f"/admin/accounts/staffprofile/{user.staff.pk}/change/", data | {"roles": ["section_head", "supervisor"]}
        )
    assert response.status_code == 302
    assert_one_append(appends)
    assert appends.actions() == [
        "accounts.staffprofile.changed",
        "accounts.role_granted",
        "accounts.role_granted",
        "accounts.role_revoked",
    ]
