"""Admin pages of the organisation tree: they load with pinned query counts, and every save is audited."""

import pytest
from django.urls import reverse

from zhengwu.audit.models import AuditEvent
from zhengwu.org.enums import PositionRank, RegionLevel, WindowKind
from zhengwu.org.models import Department, Position, Region, Section, ServiceHall, Window

pytestmark = pytest.mark.django_db


def post_data(response, **changes) -> dict:
    """The form data a browser would send back unchanged from an admin change page, with `changes` applied."""
    context = response.context
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = str(value)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def add_more(org):
    """More rows of every kind: a changelist must not need more queries for them."""
    for i in range(3, 8):
        street = Region.objects.create(
            name=f"街道{i}", code=f"370799{i:03d}000", level=RegionLevel.STREET, parent=org.district
        )
        Region.objects.create(name=f"社区{i}", code=f"370799{i:03d}001", level=RegionLevel.COMMUNITY, parent=street)
        department = Department.objects.create(
            name=f"部门{i}", code=f"D{i}", credit_code=f"1137079900000000{i}", region=street
        )
        section = Section.objects.create(department=department, name="综合科")
        head = Position.objects.create(department=department, title="局长", rank=PositionRank.UNIT_HEAD)
        chief = Position.objects.create(
            department=department, section=section, title="科长", rank=PositionRank.SECTION_HEAD, reports_to=head
        )
        Position.objects.create(
            department=department, section=section, title="承办人", rank=PositionRank.HANDLER, reports_to=chief
        )
        hall = ServiceHall.objects.create(name=f"便民服务中心{i}", kind="street_station", region=street, address="某路")
        window = Window.objects.create(hall=hall, number="01", name="综合受理窗口", kind=WindowKind.GENERAL_INTAKE)
        window.departments.set([department, org.department])


CHANGELISTS = {
    "region": 6,
    "department": 6,
    "section": 6,
    "servicehall": 6,
    "window": 7,
    "position": 6,
}


@pytest.mark.parametrize("model", sorted(CHANGELISTS))
def test_changelist_query_count_is_pinned_and_independent_of_rows(model, org, admin_client, django_assert_num_queries):
    url = reverse(f"admin:org_{model}_changelist")
    admin_client.get(url)  # warm the session and content types
    with django_assert_num_queries(CHANGELISTS[model]):
        response = admin_client.get(url)
    assert response.status_code == 200
    add_more(org)
    with django_assert_num_queries(CHANGELISTS[model]):
        assert admin_client.get(url).status_code == 200


CHANGE_PAGES = {
    "region": ("district", 4),
    "department": ("department", 8),
    "section": ("registration", 4),
    "servicehall": ("hall", 7),
    "window": ("intake", 6),
    "position": ("handler", 7),
}


def _object(org, attr):
    return org.windows[0] if attr == "intake" else getattr(org, attr)


@pytest.mark.parametrize("model", sorted(CHANGE_PAGES))
def test_change_page_loads_with_a_pinned_query_count(model, org, admin_client, django_assert_num_queries):
    attr, queries = CHANGE_PAGES[model]
    url = reverse(f"admin:org_{model}_change", args=[_object(org, attr).pk])
    admin_client.get(url)
    with django_assert_num_queries(queries):
        response = admin_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("model", sorted(CHANGE_PAGES))
def test_add_page_loads(model, org, admin_client):
    assert admin_client.get(reverse(f"admin:org_{model}_add")).status_code == 200


def test_inline_rows_do_not_add_queries(org, admin_client, django_assert_num_queries):
    department_url = reverse("admin:org_department_change", args=[org.department.pk])
    hall_url = reverse("admin:org_servicehall_change", args=[org.hall.pk])
    admin_client.get(department_url)
    with django_assert_num_queries(CHANGE_PAGES["department"][1]):
        admin_client.get(department_url)
    with django_assert_num_queries(CHANGE_PAGES["servicehall"][1]):
        admin_client.get(hall_url)
    for i in range(5):
        section = Section.objects.create(department=org.department, name=f"新科室{i}")
        chief = Position.objects.create(
            department=org.department, section=section, title=f"新科长{i}", rank=PositionRank.SECTION_HEAD,
            reports_to=org.deputy,
        )  # fmt: skip
        Position.objects.create(
            department=org.department, section=section, title=f"新承办人{i}", rank=PositionRank.HANDLER,
            reports_to=chief,
        )  # fmt: skip
        window = Window.objects.create(hall=org.hall, number=f"1{i}", name=f"窗口{i}", kind=WindowKind.DEPARTMENT)
        window.departments.set([org.department, org.other_department])
    with django_assert_num_queries(CHANGE_PAGES["department"][1]):
        assert admin_client.get(department_url).status_code == 200
    with django_assert_num_queries(CHANGE_PAGES["servicehall"][1]):
        assert admin_client.get(hall_url).status_code == 200


def test_position_page_shows_the_reporting_line_and_holders(org, admin_client):
    page = admin_client.get(reverse("admin:org_position_change", args=[org.handler.pk])).content.decode()
    assert "登记注册科承办人 → 登记注册科科长 → 副局长 → 局长" in page
    page = admin_client.get(reverse("admin:org_position_change", args=[org.deputy.pk])).content.decode()
    assert "林欣（E0003）、周婷（E0004）、吴刚（E0005）" in page


def test_position_changelist_shows_lines_and_holder_counts(org, admin_client):
    response = admin_client.get(reverse("admin:org_position_changelist"))
    rows = {row.pk: row for row in response.context["cl"].result_list}
    assert rows[org.handler.pk]._holders == 1
    assert rows[org.deputy.pk]._holders == 3
    assert "登记注册科承办人 → 登记注册科科长 → 副局长 → 局长" in response.content.decode()


def test_region_changelist_filters_by_parent(org, admin_client):
    url = reverse("admin:org_region_changelist")
    by_parent = admin_client.get(url, {"parent": org.street.pk}).context["cl"].result_list
    roots = admin_client.get(url, {"parent": "none"}).context["cl"].result_list
    assert list(by_parent) == org.communities
    assert list(roots) == [org.district]


# ------------------------------------------------------------------ saves are audited


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_changing_a_region_writes_one_audit_event(org, admin_client):
    url = reverse("admin:org_region_change", args=[org.street.pk])
    response = admin_client.post(url, post_data(admin_client.get(url), name="城关街道（新）"))
    assert response.status_code == 302
    org.street.refresh_from_db()
    assert org.street.name == "城关街道（新）"
    [event] = AuditEvent.objects.all()
    assert (event.action, event.object_id, event.actor_repr) == ("org.region.changed", str(org.street.pk), "admin")
    assert (event.before, event.after) == ({"name": "城关街道"}, {"name": "城关街道（新）"})


def test_a_region_with_a_wrong_parent_level_is_refused_and_nothing_is_written(org, admin_client):
    url = reverse("admin:org_region_change", args=[org.communities[0].pk])
    response = admin_client.post(url, post_data(admin_client.get(url), parent=str(org.district.pk)))
    assert response.status_code == 200
    assert "上级区划必须是“街道/乡镇”。" in response.content.decode()
    assert AuditEvent.objects.count() == 0


def test_adding_a_region_with_children_inline_audits_each_row(org, admin_client):
    data = {
        "name": "青河街道",
        "code": "370799002000",
        "level": RegionLevel.STREET,
        "parent": str(org.district.pk),
        "sort_order": "2",
        "children-TOTAL_FORMS": "1",
        "children-INITIAL_FORMS": "0",
        "children-0-name": "滨河社区",
        "children-0-code": "370799002001",
        "children-0-level": RegionLevel.COMMUNITY,
        "children-0-sort_order": "1",
    }
    response = admin_client.post(reverse("admin:org_region_add"), data)
    assert response.status_code == 302
    street = Region.objects.get(code="370799002000")
    community = Region.objects.get(code="370799002001")
    assert community.parent == street
    created = events("org.region.created")
    assert [e.object_id for e in created] == [str(street.pk), str(community.pk)]
    assert created[1].after == {"name": "滨河社区", "code": "370799002001", "level": "community", "sort_order": 1}


def test_changing_window_departments_audits_them_as_ids(org, admin_client):
    window = org.windows[1]
    url = reverse("admin:org_window_change", args=[window.pk])
    data = post_data(admin_client.get(url), departments=[str(org.department.pk), str(org.other_department.pk)])
    assert admin_client.post(url, data).status_code == 302
    assert set(window.departments.all()) == {org.department, org.other_department}
    [event] = events("org.window.changed")
    assert event.before == {"departments": [org.department.pk]}
    assert event.after == {"departments": sorted([org.department.pk, org.other_department.pk])}


def test_hall_inline_window_changes_are_audited(org, admin_client):
    url = reverse("admin:org_servicehall_change", args=[org.hall.pk])
    data = post_data(admin_client.get(url), phone="12345")
    data.update(
        {
            "windows-0-name": "综合受理窗口（企业开办）",  # change the first window
            "windows-2-DELETE": "on",  # delete the fee window
            "windows-TOTAL_FORMS": "4",  # add one
            "windows-3-number": "04",
            "windows-3-name": "统一出件窗口",
            "windows-3-kind": WindowKind.PICKUP,
            "windows-3-is_active": "on",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302
    fee_pk = org.windows[2].pk
    assert list(org.hall.windows.values_list("number", "name")) == [
        ("01", "综合受理窗口（企业开办）"),
        ("02", "市场监管窗口"),
        ("04", "统一出件窗口"),
    ]
    actions = [(e.action, e.object_type) for e in AuditEvent.objects.order_by("seq")]
    assert actions == [
        ("org.servicehall.changed", "org.servicehall"),
        ("org.window.deleted", "org.window"),
        ("org.window.created", "org.window"),
        ("org.window.changed", "org.window"),
    ]
    assert events("org.servicehall.changed")[0].after == {"phone": "12345"}
    deleted = events("org.window.deleted")[0]
    assert (deleted.object_id, deleted.before["number"], deleted.before["kind"]) == (str(fee_pk), "03", "fee")
    changed = events("org.window.changed")[0]
    assert (changed.before, changed.after) == ({"name": "综合受理窗口"}, {"name": "综合受理窗口（企业开办）"})
    assert events("org.window.created")[0].after == {
        "number": "04",
        "name": "统一出件窗口",
        "kind": "pickup",
        "departments": [],
        "is_active": True,
    }


def test_department_inline_refuses_a_second_unit_head(org, admin_client):
    url = reverse("admin:org_department_change", args=[org.department.pk])
    data = post_data(admin_client.get(url))
    total = int(data["positions-TOTAL_FORMS"])
    data.update(
        {
            "positions-TOTAL_FORMS": str(total + 1),
            f"positions-{total}-title": "第二局长",
            f"positions-{total}-rank": str(PositionRank.UNIT_HEAD),
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "每个部门只能设一个单位负责人岗位。" in response.content.decode()
    assert Position.objects.filter(title="第二局长").count() == 0
    assert AuditEvent.objects.count() == 0


def test_department_inline_position_limits_choices_to_the_department(org, admin_client):
    response = admin_client.get(reverse("admin:org_department_change", args=[org.department.pk]))
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "positions")
    form = formset.forms[0]
    assert [label for value, label in form.fields["section"].choices if value] == [
        "区市场监管局·登记注册科",
        "区市场监管局·信用监督管理科",
    ]
    assert [label for value, label in form.fields["reports_to"].choices if value] == [
        "区市场监管局·局长",
        "区市场监管局·副局长",
        "区市场监管局·登记注册科科长",
        "区市场监管局·信用监督管理科科长",
    ]


def test_department_credit_code_is_checked(org, admin_client):
    url = reverse("admin:org_department_change", args=[org.department.pk])
    bad = org.department.credit_code[:17] + ("0" if org.department.credit_code[17] != "0" else "1")
    response = admin_client.post(url, post_data(admin_client.get(url), credit_code=bad))
    assert response.status_code == 200
    assert "统一社会信用代码无效（格式或校验位错误）。" in response.content.decode()
    assert AuditEvent.objects.count() == 0


def test_deleting_a_section_is_audited(org, admin_client):
    section = Section.objects.create(department=org.department, name="临时科")
    url = reverse("admin:org_section_delete", args=[section.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    [event] = events("org.section.deleted")
    assert event.object_id == str(section.pk)
    assert event.before["name"] == "临时科"
