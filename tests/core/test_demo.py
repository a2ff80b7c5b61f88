"""`zhengwu demo`: the invented county 青川区, loaded once for this module and rolled back afterwards."""

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from zhengwu.accounts.domain.identity import is_valid_credit_code, is_valid_resident_id
from zhengwu.accounts.enums import Role, UserKind
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile, RoleAssignment, StaffProfile, User
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.core.demo import people
from zhengwu.core.demo.loader import DemoResult, demo_load
from zhengwu.core.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from zhengwu.org.domain import org_check, reporting_line
from zhengwu.org.enums import HallKind, PositionRank, RegionLevel, WindowKind
from zhengwu.org.models import Department, Position, Region, Section, ServiceHall, Window

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]

EXPECTED_TOTALS = {
    "org.region": 38,
    "org.department": 27,
    "org.section": 78,
    "org.position": 253,
    "org.servicehall": 13,
    "org.window": 27,
    "accounts.staffprofile": 337,
    "accounts.citizenprofile": 300,
    "accounts.enterpriseprofile": 100,
    "catalog.serviceitem": 182,
    "catalog.theme": 17,
    "licences.licence": 10,
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """One load shared by the module's tests (each test runs in a savepoint inside it)."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        result = demo_load()
        yield result
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_first_run_creates_the_county(demo: DemoResult):
    # No wall-clock bound here: speed is measured by bench/, and a loaded CI machine made this one fail.
    assert demo.totals == EXPECTED_TOTALS
    assert demo.changed
    assert demo.created["accounts.user"] == 337 + 300 + 100
    assert sum(demo.updated.values()) == 0


def test_one_district_six_streets_and_about_thirty_communities(demo):
    district = Region.objects.get(level=RegionLevel.DISTRICT)
    assert (district.name, district.code, district.parent) == ("青川区", "370799000000", None)
    streets = Region.objects.filter(level=RegionLevel.STREET)
    assert [s.name for s in streets] == ["城关街道", "青河街道", "东湖街道", "凤鸣街道", "白石镇", "柳林镇"]
    assert {s.parent_id for s in streets} == {district.pk}
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY)
    assert 25 <= communities.count() <= 35
    for region in Region.objects.exclude(level=RegionLevel.DISTRICT):
        region.full_clean()  # levels and code prefixes are consistent


def test_departments_have_valid_codes_sections_and_one_head(demo):
    departments = Department.objects.all()
    assert 20 <= departments.filter(region__level=RegionLevel.DISTRICT).count() <= 22
    assert departments.filter(region__level=RegionLevel.STREET).count() == 6
    assert list(departments.filter(is_supervision_office=True).values_list("name", flat=True)) == ["区纪委监委"]
    for department in departments:
        assert department.credit_code.startswith("11370799"), department
        assert is_valid_credit_code(department.credit_code), department
        assert 2 <= department.sections.count() <= 4, department
        assert department.positions.filter(rank=PositionRank.UNIT_HEAD).count() == 1, department
    assert {"区市场监督管理局", "区行政审批服务局", "区政务服务管理局", "区公安分局"} <= {d.name for d in departments}


def test_every_position_is_valid_and_the_whole_tree_checks_clean(demo):
    assert org_check() == []
    for position in Position.objects.select_related("department", "section", "reports_to"):
        position.full_clean()
    for section in Section.objects.all():
        ranks = set(section.positions.values_list("rank", flat=True))
        assert ranks == {PositionRank.SECTION_HEAD, PositionRank.HANDLER}, section


def test_every_staff_member_holds_a_post_whose_line_reaches_a_unit_head(demo):
    profiles = StaffProfile.objects.select_related("user", "department", "position__department")
    assert profiles.count() == User.objects.filter(kind=UserKind.STAFF).count()
    for profile in profiles:
        assert profile.position is not None, profile
        assert profile.position.department_id == profile.department_id, profile
        assert profile.section_id == profile.position.section_id, profile
        line = reporting_line(position=profile.position)
        assert line[-1].rank == PositionRank.UNIT_HEAD, profile
        assert {p.department_id for p in line} == {profile.department_id}, profile


def test_roles_follow_posts_and_windows(demo):
    rank_role = {
        PositionRank.HANDLER: Role.HANDLER,
        PositionRank.SECTION_HEAD: Role.SECTION_HEAD,
        PositionRank.LEADER_IN_CHARGE: Role.LEADER_IN_CHARGE,
        PositionRank.UNIT_HEAD: Role.UNIT_HEAD,
    }
    window_role = {HallKind.CENTRE: Role.WINDOW_CLERK, HallKind.STREET_STATION: Role.STATION_AGENT}
    roles = {}
    for user_id, role in RoleAssignment.objects.values_list("user_id", "role"):
        roles.setdefault(user_id, set()).add(role)
    for profile in StaffProfile.objects.select_related("user", "position", "window__hall", "department"):
        own = roles[profile.user_id]
        if profile.user.username == "admin":
            assert own == {Role.ADMINISTRATOR}
        elif profile.window is not None:
            hall_kind = profile.window.hall.kind
            expected = Role.FEE_CLERK if profile.window.kind == WindowKind.FEE else window_role.get(hall_kind)
            assert own == {expected or Role.STATION_AGENT}, profile
        else:
            supervisor = profile.department.is_supervision_office or profile.position.title.startswith("监督考核科")
            assert own == {rank_role[profile.position.rank], *([Role.SUPERVISOR] if supervisor else [])}, profile
    assert User.objects.filter(is_superuser=True).get().username == "admin"
    assert list(User.objects.filter(is_staff=True).values_list("username", flat=True)) == ["admin"]
    assert RoleAssignment.objects.filter(role=Role.SUPERVISOR).count() >= 10


def test_halls_windows_and_stations(demo):
    centre = ServiceHall.objects.get(kind=HallKind.CENTRE)
    windows = list(centre.windows.prefetch_related("departments"))
    assert len(windows) == 15
    kinds = [w.kind for w in windows]
    assert kinds.count(WindowKind.GENERAL_INTAKE) == 4
    assert {kinds.count(k) for k in (WindowKind.REGISTRATION, WindowKind.FEE, WindowKind.PICKUP)} == {1}
    assert all(len(w.departments.all()) >= 3 for w in windows if w.kind == WindowKind.GENERAL_INTAKE)
    assert all(len(w.departments.all()) == 1 for w in windows if w.kind == WindowKind.DEPARTMENT)
    assert ServiceHall.objects.filter(kind=HallKind.STREET_STATION, region__level=RegionLevel.STREET).count() == 6
    assert ServiceHall.objects.filter(kind=HallKind.COMMUNITY_STATION, region__level=RegionLevel.COMMUNITY).count() == 6
    # Every window has exactly one clerk.
    assert sorted(StaffProfile.objects.filter(window__isnull=False).values_list("window_id", flat=True)) == sorted(
        Window.objects.values_list("pk", flat=True)
    )


def test_citizens_have_valid_unique_resident_ids_and_phone_logins(demo):
    profiles = list(CitizenProfile.objects.select_related("user"))
    assert len(profiles) == 300
    assert len({p.id_number for p in profiles}) == 300
    assert len({p.user.phone for p in profiles}) == 300
    for profile in profiles:
        number = profile.id_number
        assert is_valid_resident_id(number), number
        assert number.startswith("370799")
        assert date(1950, 1, 1) <= date(int(number[6:10]), int(number[10:12]), int(number[12:14])) <= date(2006, 12, 31)
        assert profile.user.username == profile.user.phone
        assert len(profile.user.phone) == 11 and profile.user.phone.startswith("139")
        assert profile.user.kind == UserKind.CITIZEN
        assert 2 <= len(profile.real_name) <= 3 and profile.real_name == profile.user.display_name


def test_enterprises_have_valid_unique_credit_codes_and_names(demo):
    profiles = list(EnterpriseProfile.objects.select_related("user"))
    assert len(profiles) == 100
    assert len({p.name for p in profiles}) == 100
    for profile in profiles:
        assert profile.credit_code.startswith("91370799")
        assert is_valid_credit_code(profile.credit_code), profile.credit_code
        assert profile.user.username == profile.credit_code
        assert profile.user.kind == UserKind.ENTERPRISE
        assert profile.name.startswith(("青川", "山东青川")) and profile.name.endswith("公司")
        assert profile.legal_representative and profile.address.startswith("青川区")


def test_all_demo_users_share_one_password_hash(demo):
    assert User.objects.values("password").distinct().count() == 1


def test_demo_logins_authenticate(demo):
    assert len(DEMO_LOGINS) >= 9
    users = {}
    for username, password, description in DEMO_LOGINS:
        assert password == DEMO_PASSWORD == "Zhengwu@2026"
        user = authenticate(username=username, password=password)
        assert user is not None, (username, description)
        users[username] = user
    assert users["admin"].is_superuser
    kinds = [u.kind for u in users.values()]
    assert kinds.count(UserKind.CITIZEN) == 1 and kinds.count(UserKind.ENTERPRISE) == 1
    roles = set(RoleAssignment.objects.filter(user__in=users.values()).values_list("role", flat=True))
    assert {
        Role.ADMINISTRATOR,
        Role.WINDOW_CLERK,
        Role.HANDLER,
        Role.SECTION_HEAD,
        Role.LEADER_IN_CHARGE,
        Role.UNIT_HEAD,
        Role.SUPERVISOR,
    } <= roles


def test_the_featured_handler_escalates_to_the_featured_leaders(demo):
    handler = User.objects.get(username="chengban")
    line = reporting_line(position=handler.staff.position)
    holders = [sorted(p.holders.values_list("user__username", flat=True)) for p in line[1:]]
    assert [h for h in holders] == [["kezhang"], ["fenguan"], ["juzhang"]]


def test_one_audit_event_summarises_the_load(demo):
    [event] = AuditEvent.objects.filter(action="demo.loaded")
    assert event.actor_repr == "system:demo"
    assert event.after["totals"] == EXPECTED_TOTALS
    assert event.after["created"]["accounts.citizenprofile"] == 300
    assert audit_verify() is None


def test_second_run_changes_nothing(demo, django_assert_num_queries):
    users, events = User.objects.count(), AuditEvent.objects.count()
    with django_assert_num_queries(40):  # 37 + the item → certificate mapping (3)
        again = demo_load()
    assert not again.changed
    assert again.totals == demo.totals
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)


def test_a_rerun_restores_edited_demo_rows_and_audits_it(demo):
    department = Department.objects.get(code="SCJG")
    department.name = "改名的局"
    department.save()
    Window.objects.get(hall__kind=HallKind.CENTRE, number="01").departments.clear()
    User.objects.filter(username="kezhang").update(display_name="别人")
    again = demo_load()
    assert dict(again.created) == {}
    assert dict(again.updated) == {"org.department": 1, "org.window.departments": 1, "accounts.user": 1}
    department.refresh_from_db()
    assert department.name == "区市场监督管理局"
    assert Window.objects.get(hall__kind=HallKind.CENTRE, number="01").departments.count() == 4
    event = AuditEvent.objects.filter(action="demo.loaded").last()
    assert event.after["updated"] == {"accounts.user": 1, "org.department": 1, "org.window.departments": 1}


def test_a_rerun_recreates_deleted_people(demo):
    CitizenProfile.objects.filter(user__username="13953600001").delete()
    User.objects.filter(username="13953600001").delete()
    again = demo_load()
    assert dict(again.created) == {"accounts.user": 1, "accounts.citizenprofile": 1}
    assert authenticate(username="13953600001", password=DEMO_PASSWORD).citizen.real_name == "张晓明"


def test_command_prints_chinese_summary_and_logins(demo):
    out = StringIO()
    call_command("demo", "--cases=0", stdout=out)
    text = out.getvalue()
    assert "演示数据已是最新，无需改动。" in text
    assert "演示办件" not in text
    assert "自然人：300" in text and "部门：27" in text
    for username, _password, description in DEMO_LOGINS:
        assert username in text and description in text
    assert text.count(DEMO_PASSWORD) == len(DEMO_LOGINS)


def test_generation_is_deterministic():
    assert people.citizens() == people.citizens()
    assert people.enterprises() == people.enterprises()
    assert people.citizens()[0].phone == "13953600001"
    assert people.enterprises()[0].name == "青川区绿源农业科技有限公司"
