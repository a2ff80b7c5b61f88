"""The demo catalogue loaded by `zhengwu demo`: realistic, valid, published, themed, idempotent and fast."""

from collections import Counter

import pytest
from django.db import transaction
from django.test import override_settings

from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog import demo_items
from zhengwu.catalog.demo import catalog_demo_load, item_plan
from zhengwu.catalog.domain.codes import implementation_code_error
from zhengwu.catalog.domain.versions import fees_validate, materials_validate, version_fields_validate
from zhengwu.catalog.enums import ThemeKind, VersionState
from zhengwu.catalog.models import FeeItem, ItemMaterial, ItemVersion, ServiceItem, Theme
from zhengwu.catalog.signals import version_published
from zhengwu.core.demo import data, people
from zhengwu.core.demo.loader import demo_load
from zhengwu.org.models import Department

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One `zhengwu demo` load shared by the module's tests (each test runs in a savepoint inside it)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER), transaction.atomic():
        result = demo_load()
        yield result
        transaction.set_rollback(True)


def published():
    return ItemVersion.objects.filter(state=VersionState.PUBLISHED).select_related("item__department")


@pytest.mark.django_db
def test_the_demo_publishes_at_least_150_items(demo):
    assert demo.created["catalog.serviceitem"] == len(demo_items.ITEMS) >= 150
    assert published().count() == ServiceItem.objects.count() == len(demo_items.ITEMS)
    assert set(ItemVersion.objects.values_list("state", "number")) == {(VersionState.PUBLISHED, 1)}


@pytest.mark.django_db
def test_items_spread_over_the_demo_departments_and_levels(demo):
    per_department = Counter(published().values_list("item__department__name", flat=True))
    assert len(per_department) >= 18
    for name in ("区市场监督管理局", "区公安分局", "区人力资源和社会保障局", "区民政局", "区住房和城乡建设局"):
        assert per_department[name] >= 10, name
    assert per_department["青川区白石镇人民政府"] == 2
    assert set(ServiceItem.objects.values_list("level", flat=True)) == {"4", "5"}
    assert set(ServiceItem.objects.values_list("item_type", flat=True)) == {"01", "04", "05", "07", "10", "20"}


@pytest.mark.django_db
def test_every_implementation_code_is_valid_and_matches_its_department(demo):
    for item in ServiceItem.objects.select_related("department"):
        problem = implementation_code_error(
            item.implementation_code,
            credit_code=item.department.credit_code,
            level=item.level,
            basic_code=item.basic_code,
        )
        assert problem is None, (item, problem)


@pytest.mark.django_db
def test_every_guide_passes_the_curation_validators(demo):
    from zhengwu.catalog.domain.versions import FEE_FIELDS, MATERIAL_FIELDS, VERSION_FIELDS

    versions = published().prefetch_related("materials", "fees")
    for version in versions:
        fields = {name: getattr(version, name) for name in VERSION_FIELDS}
        materials = [{k: getattr(m, k) for k in MATERIAL_FIELDS} for m in version.materials.all()]
        fees = [{k: getattr(f, k) for k in FEE_FIELDS} for f in version.fees.all()]
        assert version_fields_validate(fields) == {}, version.name
        assert materials_validate(materials) == {}, version.name
        assert fees_validate(fees, is_free=version.is_free) == {}, version.name
        assert 2 <= len(materials) <= 8, version.name
        assert version.promised_limit_days <= version.statutory_limit_days


@pytest.mark.django_db
def test_promised_limits_are_compressed_and_licences_use_the_statutory_preset(demo):
    promised = [v for v in published() if v.handling_kind == "promised"]
    within = [v for v in promised if v.compression_ratio <= 0.4]
    assert len(within) / len(promised) >= 0.9
    licences = published().filter(item__item_type="01", statutory_limit_days=20)
    assert licences.count() >= 30
    assert set(licences.values_list("statutory_preset", "limit_unit")) == {("licence_decision", "working")}
    kinds = Counter(published().values_list("handling_kind", flat=True))
    assert kinds["immediate"] >= 30 and kinds["promised"] >= 100
    assert set(published().values_list("online_depth", flat=True)) == {2, 3, 4}
    assert set(published().values_list("handling_scope", flat=True)) == {"county", "city", "province", "national"}


@pytest.mark.django_db
def test_materials_include_conditional_ones_and_electronic_licences(demo):
    materials = ItemMaterial.objects.filter(version__state=VersionState.PUBLISHED)
    assert materials.filter(necessity="conditional").exclude(condition="").count() >= 50
    licences = set(materials.exclude(licence_type="").values_list("licence_type", flat=True))
    assert {"居民身份证", "营业执照", "居民户口簿", "结婚证", "出生医学证明", "不动产权证书"} <= licences


@pytest.mark.django_db
def test_fee_items_carry_their_legal_basis_and_amount(demo):
    fees = {f.name: f for f in FeeItem.objects.filter(version__state=VersionState.PUBLISHED)}
    assert len(fees) >= 8
    assert str(fees["居民身份证工本费"].standard_amount) == "20.00"
    assert str(fees["普通护照工本费"].standard_amount) == "120.00"
    assert "发改价格〔2019〕914号" in fees["普通护照工本费"].legal_basis
    assert str(fees["不动产登记费（住宅）"].standard_amount) == "80.00"
    assert not published().filter(is_free=False, fees=None).exists()


@pytest.mark.django_db
def test_the_guides_find_the_items_residents_ask_for(demo):
    names = set(published().values_list("name", flat=True))
    for name in (
        "食品经营许可证核发",
        "个体工商户设立登记",
        "户口迁移（迁入）",
        "居民身份证换领",
        "普通护照签发",
        "社会保障卡申领",
        "失业登记",
        "企业职工基本养老保险退休审批",
        "最低生活保障审核确认",
        "内地居民结婚登记",
        "特困人员认定",
        "建筑工程施工许可证核发",
        "出生医学证明首次签发",
        "医疗机构执业许可",
        "道路旅客运输经营许可",
        "网络预约出租汽车经营许可",
        "残疾人证核发",
        "住房公积金提取（租赁住房）",
    ):
        assert name in names, name
    passport = published().get(name="普通护照签发")
    assert passport.item.department.name == "区公安分局"
    assert [s.name for s in passport.steps.all()] == ["受理", "审查", "决定", "送达"]
    assert [s.limit_days for s in passport.steps.all()] == [1, 5, 1, None]


@pytest.mark.django_db
def test_themes_cover_life_events_identities_enterprise_stages_and_scenarios(demo):
    themes = Theme.objects.prefetch_related("items")
    assert themes.count() >= 12
    kinds = Counter(themes.values_list("kind", flat=True))
    assert kinds == {ThemeKind.SCENARIO: 3, ThemeKind.LIFE_EVENT: 4, ThemeKind.IDENTITY: 7, ThemeKind.ENTERPRISE: 3}
    newborn = Theme.objects.get(slug="newborn")
    assert [i.versions.get().name for i in newborn.items.order_by("theme_items__position")] == [
        "出生医学证明首次签发",
        "出生登记",
        "城乡居民基本医疗保险参保登记",
        "社会保障卡申领",
        "生育津贴支付",
    ]
    identities = set(themes.filter(kind=ThemeKind.IDENTITY).values_list("name", flat=True))
    assert identities == {"学生", "农民", "退役军人", "残疾人", "低收入家庭", "农民工", "老年人"}
    for theme in themes:
        assert theme.items.count() >= 4, theme


@pytest.mark.django_db
def test_every_publication_is_audited(demo):
    events = AuditEvent.objects.filter(actor_repr="system:demo")
    assert events.filter(action="catalog.item_created").count() == len(demo_items.ITEMS)
    assert events.filter(action="catalog.published").count() == len(demo_items.ITEMS)
    assert audit_verify() is None


@pytest.mark.django_db
def test_a_rerun_creates_nothing_and_writes_no_audit_event(demo, django_assert_num_queries):
    before = (ServiceItem.objects.count(), Theme.objects.count(), AuditEvent.objects.count())
    with transaction.atomic(), django_assert_num_queries(4):
        assert catalog_demo_load() == Counter()
    assert (ServiceItem.objects.count(), Theme.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_a_rerun_restores_themes_and_recreates_a_deleted_item(demo):
    Theme.objects.filter(slug="newborn").update(name="改名")
    ServiceItem.objects.filter(versions__name="普通护照签发").delete()
    assert catalog_demo_load() == Counter({"catalog.serviceitem": 1, "catalog.theme": 1, "catalog.themeitem": 1})
    assert Theme.objects.get(slug="newborn").name == "新生儿出生一件事"
    assert published().filter(name="普通护照签发").count() == 1


def test_codes_are_deterministic():
    departments = {
        spec.code: Department(credit_code=people.department_credit_code(spec.code)) for spec in data.DEPARTMENTS
    }
    first, second = item_plan(departments), item_plan(departments)
    assert [code for _, _, code in first] == [code for _, _, code in second]
    assert len({code for _, _, code in first}) == len(demo_items.ITEMS)
    assert len({spec.name for spec in demo_items.ITEMS}) == len(demo_items.ITEMS)


@pytest.mark.django_db
def test_each_publication_sends_the_version_published_signal(demo, django_capture_on_commit_callbacks):
    ServiceItem.objects.all().delete()
    sent = []
    version_published.connect(receiver := lambda sender, version, **kwargs: sent.append(version.pk))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            catalog_demo_load()
    finally:
        version_published.disconnect(receiver)
    assert sorted(sent) == sorted(ItemVersion.objects.values_list("pk", flat=True))
    assert len(sent) == len(demo_items.ITEMS)
