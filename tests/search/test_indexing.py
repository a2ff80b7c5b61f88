from io import StringIO

import pytest
from django.core.management import call_command

from tests.search.factories import names
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.domain.versions import (
    version_approve,
    version_draft_create,
    version_submit,
    version_update,
    version_withdraw,
)
from zhengwu.search.domain import (
    CATALOG_ITEM,
    search_document_upsert,
    search_documents,
    search_items,
    search_reindex_catalog,
)
from zhengwu.search.models import SearchDocument

pytestmark = pytest.mark.django_db


def test_publishing_indexes_one_document_per_item(catalogue):
    assert SearchDocument.objects.filter(kind=CATALOG_ITEM).count() == 11
    document = SearchDocument.objects.get(kind=CATALOG_ITEM, object_id=catalogue.passport.item_id)
    assert (document.target_id, document.title, document.department_id) == (
        catalogue.passport.pk,
        "普通护照签发",
        catalogue.police.department.pk,
    )
    assert document.body == (
        "中国公民因前往外国定居、探亲、学习、就业、旅行等非公务原因出国的，可以申请普通护照。\n"
        "居民身份证、近期免冠证件照片\n普通护照\n区公安分局\n《中华人民共和国护照法》第五条"
    )


def test_a_withdrawn_item_disappears(catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version_withdraw(actor=catalogue.market.editor, version=catalogue.licence_replace, reason="事项已取消")
    assert names(search_items("营业执照")) == ["个体工商户设立登记", "食品经营许可证核发"]
    assert not SearchDocument.objects.filter(object_id=catalogue.licence_replace.item_id).exists()


def test_a_new_version_replaces_the_old_one_in_the_index(catalogue, django_capture_on_commit_callbacks):
    cur = catalogue.market
    draft = version_draft_create(actor=cur.editor, item=catalogue.fund_withdrawal.item)
    version_update(actor=cur.editor, version=draft, fields={"name": "住房公积金提取（购房）"})
    with django_capture_on_commit_callbacks(execute=True):
        version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=draft))
    hits = search_items("公积金")
    assert [hit.version_id for hit in hits] == [draft.pk, catalogue.fund_base.pk]
    assert names(hits) == ["住房公积金提取（购房）", "单位缴存基数调整"]


def test_a_version_superseded_before_the_index_caught_up_is_never_shown(catalogue):
    cur = catalogue.market
    draft = version_draft_create(actor=cur.editor, item=catalogue.fund_withdrawal.item)
    version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=draft))  # no signal run
    assert names(search_items("公积金")) == ["单位缴存基数调整"]


def test_drafts_are_not_indexed(catalogue):
    catalogue.market.draft("000901001000", name="护照草稿事项")
    assert names(search_items("护照")) == ["普通护照签发", "往来港澳通行证签发"]


def test_reindex_rebuilds_from_published_versions_and_drops_stale_documents(catalogue):
    # a damaged document (the upsert must refresh it) and one for an item that no longer exists
    SearchDocument.objects.filter(object_id=catalogue.passport.item_id).update(title_tokens="", body_tokens="")
    search_document_upsert(kind=CATALOG_ITEM, object_id=999_999, target_id=999_999, title="护照旧文档", body="")
    SearchDocument.objects.filter(object_id=999_999).update(indexed_at="2020-01-01T00:00:00Z")
    out = StringIO()
    call_command("search", "reindex", stdout=out)
    assert out.getvalue() == "catalog.item：已索引 11 条。\n"
    assert names(search_items("护照")) == ["普通护照签发", "往来港澳通行证签发"]
    assert not SearchDocument.objects.filter(object_id=999_999).exists()
    event = AuditEvent.objects.filter(action="search.reindexed").get()
    assert (event.actor_repr, event.after) == ("system:cli", {"catalog.item": 11})


def test_reindex_from_an_empty_index(catalogue):
    SearchDocument.objects.all().delete()
    assert search_items("护照") == []
    assert search_reindex_catalog() == 11
    assert names(search_items("低保")) == ["低保边缘家庭认定", "最低生活保障审批", "城乡居民养老保险参保登记"]


def test_the_query_command_prints_ranked_titles(catalogue):
    out = StringIO()
    call_command("search", "query", "护照", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[-1] for line in lines[:2]] == ["普通护照签发", "往来港澳通行证签发"]
    assert lines[-1] == "共 2 条。"


def test_other_kinds_share_the_index_without_mixing(catalogue):
    search_document_upsert(
        kind="disclosure.document",
        object_id=1,
        target_id=1,
        title="2025年政务公开工作要点",
        body="推进一网通办，做好护照等证件办理信息的主动公开。",
    )
    assert names(search_items("护照")) == ["普通护照签发", "往来港澳通行证签发"]
    hits = search_documents("disclosure.document", "政务公开")
    assert [hit.document.title for hit in hits] == ["2025年政务公开工作要点"]
    assert hits[0].title_highlight == "2025年<mark>政务公开</mark>工作要点"
    assert [h.document.object_id for h in search_documents("disclosure.document", "一网通办 护照")] == [1]


def test_unknown_filters_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown search filters"):
        search_documents(CATALOG_ITEM, "护照", 10, {"state": "published"})
