import pytest
from django.contrib import admin
from django.urls import reverse

from tests.workcal.calendar_helpers import ensure_national_calendar
from tests.workcal.clock_helpers import at, frozen, subject, user
from zhengwu.accounts.models import User
from zhengwu.workcal.domain.clock import clock_extend, clock_pause, clock_resume, clock_start, clock_stop
from zhengwu.workcal.models import Clock

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:workcal_clock_changelist")


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser(username="root", password="x" * 12, display_name="管理员")
    client.force_login(admin)
    return client


@pytest.fixture
def handler(db):
    return user("handler", "李承办")


def _start(handler, name: str, received: str, preset="licence_decision") -> Clock:
    with frozen(received):
        return clock_start(actor=handler, subject=subject(name), preset=preset, received_at=at(received))


@pytest.fixture
def clocks(handler):
    """On 2026-10-29: one due soon, one overdue, one paused, one stopped, one running far from due."""
    leader = user("leader", "王局长")
    due_soon = _start(handler, "甲申请", "2026-09-28 09:00")  # due 10-30
    overdue = _start(handler, "乙申请", "2026-09-01 09:00")  # due 10-13
    paused = _start(handler, "丙申请", "2026-10-09 09:00")
    stopped = _start(handler, "丁申请", "2026-09-02 09:00")
    running = _start(handler, "戊案件", "2026-10-28 09:00", preset="penalty_decision")
    with frozen("2026-10-15 16:00"):
        clock_pause(actor=handler, clock=paused, reason="expert_review", basis="专家评审", at=at("2026-10-12 10:00"))
        clock_resume(actor=handler, clock=paused, at=at("2026-10-15 16:00"))
        clock_extend(actor=handler, clock=paused, days=5, basis="情况复杂", approver=leader)
        clock_pause(actor=handler, clock=paused, reason="testing", basis="送检", at=at("2026-10-15 16:00"))
        clock_stop(actor=handler, clock=stopped, at=at("2026-09-20 10:00"))
    return {"due_soon": due_soon, "overdue": overdue, "paused": paused, "stopped": stopped, "running": running}


def _names(response) -> list[str]:
    return [clock.subject_repr for clock in response.context["cl"].result_list]


def test_changelist_lists_clocks_by_due_date_with_their_status(admin_client, clocks, django_assert_num_queries):
    with frozen("2026-10-29 10:00"), django_assert_num_queries(5):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert _names(response) == ["乙申请", "丁申请", "甲申请", "丙申请", "戊案件"]
    html = response.content.decode()
    for label in ("已超期", "按期办结", "即将到期", "已暂停", "计时中"):
        assert label in html
    assert reverse("admin:workcal_clock_add") not in html


@pytest.mark.parametrize(
    ("state", "names"),
    [
        ("running", ["戊案件"]),
        ("due_soon", ["甲申请"]),
        ("overdue", ["乙申请"]),
        ("paused", ["丙申请"]),
        ("stopped_on_time", ["丁申请"]),
        ("stopped_late", []),
    ],
)
def test_changelist_filters_by_derived_status(admin_client, clocks, state, names):
    with frozen("2026-10-29 10:00"):
        response = admin_client.get(CHANGELIST, {"state": state})
    assert _names(response) == names


def test_changelist_filters_by_unit_and_searches_by_subject(admin_client, clocks):
    with frozen("2026-10-29 10:00"):
        assert _names(admin_client.get(CHANGELIST, {"unit": "calendar"})) == ["戊案件"]
        assert _names(admin_client.get(CHANGELIST, {"preset": "penalty_decision"})) == ["戊案件"]
        assert _names(admin_client.get(CHANGELIST, {"q": "丙"})) == ["丙申请"]


def test_change_page_is_read_only_and_shows_the_derivation(admin_client, clocks):
    clock = clocks["paused"]
    url = reverse("admin:workcal_clock_change", args=[clock.pk])
    with frozen("2026-10-29 10:00"):
        response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "起算日：2026-10-09（星期五）；依《民法典》第二百零一条，开始的当日不计入，自次日 2026-10-10 起算。" in html
    assert "暂停（专家评审）（《行政许可法》第四十五条）：2026-10-12 10:00 至 2026-10-15 16:00" in html
    assert "延长 5 个工作日：2026-10-15 16:00 经 王局长 批准，依据：情况复杂。" in html
    assert "暂停中（检测）" in html
    assert "暂停记录" in html and "延长记录" in html
    assert "变更记录" in html and "延长" in html
    assert 'name="_save"' not in html
    with frozen("2026-10-29 10:00"):
        assert admin_client.post(url, {"limit_days": 99}).status_code == 403
    clock.refresh_from_db()
    assert clock.limit_days == 20


def test_clocks_cannot_be_added_or_deleted_in_the_admin(admin_client, clocks):
    assert admin_client.get(reverse("admin:workcal_clock_add")).status_code == 403
    pk = clocks["running"].pk
    assert admin_client.post(reverse("admin:workcal_clock_delete", args=[pk]), {"post": "yes"}).status_code == 403
    assert Clock.objects.filter(pk=pk).exists()


def test_history_page_lists_the_clock_audit_events(admin_client, clocks, rf):
    request = rf.get("/")
    request.user = User.objects.get(username="root")
    model_admin = admin.site._registry[Clock]
    response = model_admin.history_view(request, str(clocks["paused"].pk))  # context only; not rendered here
    actions = [event.action for event in response.context_data["events"]]
    assert actions == [
        "workcal.clock.paused",
        "workcal.clock.extended",
        "workcal.clock.resumed",
        "workcal.clock.paused",
        "workcal.clock.started",
    ]


@pytest.mark.parametrize("which", ["due_soon", "overdue", "paused", "stopped", "running"])
def test_every_kind_of_clock_has_an_inspector_page(admin_client, clocks, which):
    clock = clocks[which]
    with frozen("2026-10-29 10:00"):
        response = admin_client.get(reverse("admin:workcal_clock_change", args=[clock.pk]))
    assert response.status_code == 200
    assert "届满时间：" in response.content.decode()
    assert clock.explain(at("2026-10-29 10:00"))[-1] in response.content.decode()
