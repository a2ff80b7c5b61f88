"""Catalogue admin: items and versions are read-only there, themes are edited with one audit event per save,
and the pages load with pinned query counts."""

import pytest
from django.urls import reverse

from tests.catalog.factories import Curation
from tests.org.test_admin import post_data
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.domain.versions import version_draft_create
from zhengwu.catalog.enums import ThemeKind, VersionState
from zhengwu.catalog.models import ItemVersion, ServiceItem, Theme, ThemeItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def cur():
    return Curation()


def published_items(cur, count: int, start: int = 0) -> list[ServiceItem]:
    return [cur.published(f"0002010{i:05d}", name=f"事项{i}").item for i in range(start, start + count)]


def make_theme(items, slug: str = "kaiban-qiye") -> Theme:
    theme = Theme.objects.create(kind=ThemeKind.SCENARIO, slug=slug, name="开办企业")
    for position, item in enumerate(items):
        ThemeItem.objects.create(theme=theme, item=item, position=position)
    return theme


CHANGELISTS = {"serviceitem": 6, "itemversion": 6, "theme": 5}


@pytest.mark.parametrize("model", sorted(CHANGELISTS))
def test_changelist_query_count_is_pinned_and_independent_of_rows(model, cur, admin_client, django_assert_num_queries):
    items = published_items(cur, 2)
    make_theme(items)
    url = reverse(f"admin:catalog_{model}_changelist")
    admin_client.get(url)
    with django_assert_num_queries(CHANGELISTS[model]):
        assert admin_client.get(url).status_code == 200
    more = published_items(cur, 6, start=2)
    version_draft_create(actor=cur.editor, item=more[0])
    make_theme(more, slug="xinshenger")
    with django_assert_num_queries(CHANGELISTS[model]):
        assert admin_client.get(url).status_code == 200


def test_the_item_changelist_shows_the_published_name(cur, admin_client):
    item = published_items(cur, 1)[0]
    draft_only = cur.draft("000201009999", name="未发布事项").item

    html = admin_client.get(reverse("admin:catalog_serviceitem_changelist")).content.decode()

    assert f"{item.implementation_code}" in html and "事项0" in html
    assert "未发布事项（未发布）" in html
    assert draft_only.implementation_code in html


@pytest.mark.parametrize("model", ["serviceitem", "itemversion"])
def test_items_and_versions_are_read_only_in_the_admin(model, cur, admin_client):
    version = cur.published()
    obj = version.item if model == "serviceitem" else version
    change_url = reverse(f"admin:catalog_{model}_change", args=[obj.pk])

    page = admin_client.get(change_url)

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(change_url, {"name": "改名", "state": "draft"}).status_code == 403
    assert admin_client.get(reverse(f"admin:catalog_{model}_add")).status_code == 403
    assert (
        admin_client.post(reverse(f"admin:catalog_{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    )
    version.refresh_from_db()
    assert (version.state, version.name) == (VersionState.PUBLISHED, "食品经营许可证核发")


def test_the_version_page_links_to_the_workbench_and_its_history_shows_the_domain_events(cur, admin_client):
    version = cur.published()

    page = admin_client.get(reverse("admin:catalog_itemversion_change", args=[version.pk])).content.decode()
    history = admin_client.get(reverse("admin:catalog_itemversion_history", args=[version.pk])).content.decode()

    assert f'href="/workbench/catalog/{version.item_id}/v1/"' in page
    assert [a for a in ("catalog.item_created", "catalog.submitted", "catalog.published") if a in history] == [
        "catalog.item_created",
        "catalog.submitted",
        "catalog.published",
    ]


def test_the_item_history_gathers_the_events_of_all_its_versions(cur, admin_client):
    first = cur.published()
    version_draft_create(actor=cur.editor, item=first.item)

    history = admin_client.get(reverse("admin:catalog_serviceitem_history", args=[first.item_id])).content.decode()

    assert "catalog.published" in history
    assert "catalog.draft_created" in history


def test_a_theme_is_created_with_its_items_in_one_audit_event(cur, admin_client):
    first, second = published_items(cur, 2)
    add_url = reverse("admin:catalog_theme_add")
    data = post_data(admin_client.get(add_url), kind="scenario", name="开办企业", slug="kaiban-qiye", position="1")
    data |= {
        "theme_items-TOTAL_FORMS": "2",
        "theme_items-0-item": str(second.pk),
        "theme_items-0-position": "0",
        "theme_items-1-item": str(first.pk),
        "theme_items-1-position": "1",
    }

    response = admin_client.post(add_url, data)

    assert response.status_code == 302
    theme = Theme.objects.get()
    assert list(theme.theme_items.values_list("item_id", flat=True)) == [second.pk, first.pk]
    event = AuditEvent.objects.filter(object_type="catalog.theme").get()
    assert event.action == "catalog.theme.created"
    assert event.after["items"] == [second.implementation_code, first.implementation_code]


def test_changing_a_themes_items_records_before_and_after(cur, admin_client):
    first, second, third = published_items(cur, 3)
    theme = make_theme([first, second])
    change_url = reverse("admin:catalog_theme_change", args=[theme.pk])
    page = admin_client.get(change_url)
    data = post_data(page, **{"theme_items-0-DELETE": "on", "theme_items-2-item": str(third.pk)})
    data["theme_items-2-position"] = "5"
    data["theme_items-TOTAL_FORMS"] = "3"

    response = admin_client.post(change_url, data)

    assert response.status_code == 302
    event = AuditEvent.objects.filter(object_type="catalog.theme").get()
    assert event.action == "catalog.theme.changed"
    assert event.before["items"] == [first.implementation_code, second.implementation_code]
    assert event.after["items"] == [second.implementation_code, third.implementation_code]


def test_deleting_a_theme_is_audited_with_its_items(cur, admin_client):
    theme = make_theme(published_items(cur, 1))

    admin_client.post(reverse("admin:catalog_theme_delete", args=[theme.pk]), {"post": "yes"})

    assert Theme.objects.count() == 0
    event = AuditEvent.objects.filter(object_type="catalog.theme").get()
    assert (event.action, event.before["items"]) == (
        "catalog.theme.deleted",
        [ServiceItem.objects.get().implementation_code],
    )


def test_the_theme_page_labels_items_by_name_and_its_rows_add_no_queries(cur, admin_client, django_assert_num_queries):
    items = published_items(cur, 2)
    theme = make_theme(items[:1])
    url = reverse("admin:catalog_theme_change", args=[theme.pk])
    html = admin_client.get(url).content.decode()
    assert f"事项1 · {items[1].implementation_code}</option>" in html

    with django_assert_num_queries(5):
        admin_client.get(url)
    for item in published_items(cur, 4, start=2):
        ThemeItem.objects.create(theme=theme, item=item)
    with django_assert_num_queries(5):
        admin_client.get(url)
    assert ItemVersion.objects.count() == 6
