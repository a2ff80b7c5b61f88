"""Named predicates and department scoping, with exact results and bounded queries."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.accounts.factories import make_citizen, make_department, make_enterprise, make_staff
from zhengwu.accounts.backends import ZhengwuAuthBackend
from zhengwu.accounts.domain import role_grant, role_revoke
from zhengwu.accounts.models import User
from zhengwu.accounts.rules import (
    can_manage_accounts,
    can_view_department,
    has_role,
    is_citizen,
    is_county_wide,
    is_enterprise,
    is_public_user,
    is_staff_member,
    scope_to_department,
    staff_profile,
    user_roles,
)
from zhengwu.org.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    approval = make_department("区行政审批局", "SP01")
    market = make_department("区市场监管局", "SC02")
    return {
        "approval": approval,
        "market": market,
        "citizen": make_citizen(phone="13812345678"),
        "enterprise": make_enterprise(phone="13912345678"),
        "handler": make_staff("handler", department=approval, roles=("handler",)),
        "market_head": make_staff("head", department=market, roles=("section_head", "handler")),
        "supervisor": make_staff("jiancha", department=market, roles=("supervisor",)),
        "administrator": make_staff("admin1", department=approval, roles=("administrator",)),
        "no_profile": User.objects.create_user("bare", password="x", kind="staff"),
        "superuser": User.objects.create_superuser("root", None, "x", kind="citizen"),
    }


KIND_PREDICATES = [is_citizen, is_enterprise, is_public_user, is_staff_member]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("citizen", [True, False, True, False]),
        ("enterprise", [False, True, True, False]),
        ("handler", [False, False, False, True]),
        ("supervisor", [False, False, False, True]),
        ("no_profile", [False, False, False, True]),
    ],
)
def test_kind_predicates(people, who, expected):
    assert [predicate(people[who]) for predicate in KIND_PREDICATES] == expected


def test_anonymous_and_inactive_users_satisfy_no_predicate(people):
    inactive = people["handler"]
    inactive.is_active = False
    for user in (AnonymousUser(), None, inactive):
        assert [predicate(user) for predicate in KIND_PREDICATES] == [False, False, False, False]
        assert not has_role(user, "handler")
        assert not is_county_wide(user)
        assert not can_view_department(user, people["approval"])


def test_has_role_and_user_roles(people):
    head = User.objects.get(username="head")

    assert user_roles(head) == frozenset({"section_head", "handler"})
    assert has_role(head, "section_head")
    assert not has_role(head, "supervisor")
    assert not has_role(people["citizen"], "handler")


def test_unknown_role_names_are_a_programming_error(people):
    with pytest.raises(ValueError):
        has_role(people["handler"], "mayor")


def test_roles_are_loaded_once_per_user_instance(people, django_assert_num_queries):
    head = User.objects.get(username="head")

    with django_assert_num_queries(1):
        for _ in range(3):
            assert has_role(head, "handler")
            assert not is_county_wide(head)
            assert not can_manage_accounts(head)
    with django_assert_num_queries(0):
        assert [a.role for a in head.role_assignments.all()]  # the layout's menu reuses the same prefetch


def test_staff_profile_is_loaded_once_with_its_relations(people, django_assert_num_queries):
    handler = User.objects.get(username="handler")
    bare = User.objects.get(username="bare")

    with django_assert_num_queries(1):
        profile = staff_profile(handler)
        assert staff_profile(handler) is profile
        assert profile.department.name == "区行政审批局"
        assert handler.staff.department.name == "区行政审批局"
    with django_assert_num_queries(1):
        assert staff_profile(bare) is None
        assert staff_profile(bare) is None
    with django_assert_num_queries(0):
        assert staff_profile(people["citizen"]) is None


def test_the_request_user_comes_with_its_profile_and_roles_in_one_query(people, django_assert_num_queries):
    backend = ZhengwuAuthBackend()
    section = Section.objects.create(department=people["market"], name="登记科")
    head = people["market_head"]
    head.staff.section = section
    head.staff.save()

    with django_assert_num_queries(1):
        user = backend.get_user(head.pk)
        assert user_roles(user) == frozenset({"section_head", "handler"})
        assert has_role(user, "section_head") and not is_county_wide(user)
        assert staff_profile(user).department.name == "区市场监管局"
        assert user.staff.section.name == "登记科"
        colleagues = scope_to_department(User.objects.order_by("username"), user, field="staff__department")
        assert not can_manage_accounts(user)
    with django_assert_num_queries(1):  # no profile, no roles: nothing left to read
        bare = backend.get_user(people["no_profile"].pk)
        assert staff_profile(bare) is None
        assert user_roles(bare) == frozenset()
    with django_assert_num_queries(1):
        citizen = backend.get_user(people["citizen"].pk)
        assert staff_profile(citizen) is None
        assert is_citizen(citizen)
        assert user_roles(citizen) == frozenset()
    assert [u.username for u in colleagues] == ["head", "jiancha"]


def test_the_request_user_is_read_afresh_every_time(people):
    backend = ZhengwuAuthBackend()
    handler, admin = people["handler"], people["administrator"]
    assert backend.get_user(handler.pk) is not None

    role_grant(actor=admin, user=handler, role="supervisor")
    assert user_roles(backend.get_user(handler.pk)) == frozenset({"handler", "supervisor"})
    role_revoke(actor=admin, user=handler, role="handler")
    role_revoke(actor=admin, user=handler, role="supervisor")
    assert user_roles(backend.get_user(handler.pk)) == frozenset()

    User.objects.filter(pk=handler.pk).update(is_active=False)
    assert backend.get_user(handler.pk) is None
    assert backend.get_user(-1) is None


@pytest.mark.parametrize(
    ("who", "county_wide", "manages"),
    [
        ("citizen", False, False),
        ("enterprise", False, False),
        ("handler", False, False),
        ("market_head", False, False),
        ("supervisor", True, False),
        ("administrator", True, True),
        ("no_profile", False, False),
        ("superuser", True, True),
    ],
)
def test_county_wide_and_account_management(people, who, county_wide, manages):
    assert is_county_wide(people[who]) is county_wide
    assert can_manage_accounts(people[who]) is manages


@pytest.mark.parametrize(
    ("who", "approval", "market"),
    [
        ("citizen", False, False),
        ("enterprise", False, False),
        ("handler", True, False),
        ("market_head", False, True),
        ("supervisor", True, True),
        ("administrator", True, True),
        ("no_profile", False, False),
        ("superuser", True, True),
    ],
)
def test_can_view_department(people, who, approval, market):
    user = people[who]
    assert can_view_department(user, people["approval"]) is approval
    assert can_view_department(user, people["market"]) is market
    assert can_view_department(user, people["market"].pk) is market


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("citizen", []),
        ("enterprise", []),
        ("handler", ["审批一科", "审批二科"]),
        ("market_head", ["登记科"]),
        ("supervisor", ["审批一科", "审批二科", "登记科"]),
        ("administrator", ["审批一科", "审批二科", "登记科"]),
        ("no_profile", []),
        ("superuser", ["审批一科", "审批二科", "登记科"]),
    ],
)
def test_scope_to_department(people, who, visible):
    Section.objects.create(department=people["approval"], name="审批一科", sort_order=1)
    Section.objects.create(department=people["approval"], name="审批二科", sort_order=2)
    Section.objects.create(department=people["market"], name="登记科", sort_order=1)
    sections = Section.objects.order_by("department_id", "sort_order")

    scoped = scope_to_department(sections, people[who])

    assert [section.name for section in scoped] == visible


def test_scope_follows_a_related_field(people):
    Section.objects.create(department=people["approval"], name="审批一科")
    Section.objects.create(department=people["market"], name="登记科")
    from zhengwu.accounts.models import StaffProfile

    profiles = StaffProfile.objects.order_by("user__username")
    scoped = scope_to_department(profiles, User.objects.get(username="handler"), field="department")

    assert [profile.user.username for profile in scoped] == ["admin1", "handler"]


def test_scope_for_anonymous_is_empty(people):
    assert list(scope_to_department(Section.objects.all(), AnonymousUser())) == []
