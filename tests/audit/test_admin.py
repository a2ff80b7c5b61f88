import pytest
from django.urls import reverse

from tests.accounts.factories import make_department
from zhengwu.audit.domain import audit_record
from zhengwu.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_history_page_of_any_object_lists_its_audit_events(admin_client):
    department = make_department("区民政局", "MZ01")
    audit_record(actor="system:test", action="org.department.changed", obj=department, after={"name": "区民政局"})
    audit_record(actor="system:test", action="org.department.changed", object_type="org.department", object_id=0)
    response = admin_client.get(reverse("admin:org_department_history", args=[department.pk]))
    assert response.status_code == 200
    events = list(response.context["events"])
    assert [(e.action, e.object_id) for e in events] == [("org.department.changed", str(department.pk))]
    assert "审计记录" in response.content.decode()


def test_an_admin_edit_is_audited_with_before_and_after(admin_client):
    department = make_department("区民政局", "MZ01")
    url = reverse("admin:org_department_change", args=[department.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"name": "区民政局（新）", "is_active": "on"})
    for prefix in ("sections", "positions"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    event = AuditEvent.objects.filter(action="org.department.changed", object_id=str(department.pk)).get()
    assert event.before["name"] == "区民政局"
    assert event.after["name"] == "区民政局（新）"


def test_audit_events_cannot_be_added_changed_or_deleted_in_the_admin(admin_client):
    event = audit_record(actor="system:test", action="test.done", object_type="x", object_id=1)
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    response = admin_client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("count", [5, 60])
def test_the_event_list_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, count):
    for i in range(count):
        audit_record(actor="system:test", action="test.done", object_type="x", object_id=i)
    with django_assert_num_queries(9):
        assert admin_client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200


def test_an_admin_save_with_inline_rows_appends_its_events_together_at_the_end(admin_client):
    from tests.audit.appends import assert_one_append, audit_appends

    department = make_department("区民政局", "MZ01")
    audit_record(actor="system:test", action="test.setup", obj=department)  # the connection knows the chain's tip
    url = reverse("admin:org_department_change", args=[department.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"name": "区民政局（新）", "is_active": "on"})
    data.update({"positions-TOTAL_FORMS": "0", "positions-INITIAL_FORMS": "0"})
    data.update({"sections-TOTAL_FORMS": "2", "sections-INITIAL_FORMS": "0"})
    data.update({"sections-0-name": "社会救助科", "sections-0-sort_order": "1"})
    data.update({"sections-1-name": "养老服务科", "sections-1-sort_order": "2"})
    with audit_appends() as appends:
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert_one_append(appends)
    assert appends.actions() == ["org.department.changed", "org.section.created", "org.section.created"]


def test_deleting_several_objects_in_the_admin_appends_their_events_together(admin_client):
    from tests.audit.appends import assert_one_append, audit_appends
    from zhengwu.org.models import Department

    departments = [make_department(f"部门{n}", f"BM0{n}") for n in range(1, 4)]
    audit_record(actor="system:test", action="test.setup", obj=departments[0])
    data = {"action": "delete_selected", "post": "yes", "_selected_action": [str(d.pk) for d in departments]}
    with audit_appends() as appends:
        response = admin_client.post(reverse("admin:org_department_changelist"), data)
    assert response.status_code == 302
    assert not Department.objects.filter(pk__in=[d.pk for d in departments]).exists()
    assert_one_append(appends)
    assert appends.actions() == ["org.department.deleted"] * 3
