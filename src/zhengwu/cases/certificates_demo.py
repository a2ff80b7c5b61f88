"""Demo: the items of 青川区 whose granted cases produce one of the demo licence types (ItemCertificate).

Idempotent: a rerun changes nothing. Every certificate field is read from the application form under the
same key (form:<key>), except the fixed values below; the demo's case generator fills form_data from
`mapping.field_sources`. Run inside `zhengwu demo` after the catalogue and the licence types exist."""

from __future__ import annotations

from collections import Counter

from zhengwu.cases.domain.certificates import item_certificate_map
from zhengwu.cases.models import ItemCertificate
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import ServiceItem
from zhengwu.licences.models import LicenceType

# Item (published version name) → licence type code.
DEMO_ITEMS = {
    "食品经营许可证核发": "SPJY",
    "个体工商户设立登记": "GTGSH",
    "建筑工程施工许可证核发": "JZSG",
    "道路旅客运输经营许可": "DLYS",
    "道路货物运输经营许可": "DLYS",
    "农药经营许可": "NYJY",
}
FIXED = {("GTGSH", "composition"): "fixed:个人经营"}


def demo_field_sources(licence_type: LicenceType) -> dict[str, str]:
    return {
        spec["key"]: FIXED.get((licence_type.code, spec["key"]), f"form:{spec['key']}")
        for spec in licence_type.fields or []
    }


def certificates_demo_map(result=None) -> Counter:
    """Map the demo items to their licence types; returns (and adds to `result`) the rows created or restored."""
    created: Counter = Counter()
    updated: Counter = Counter()
    types = LicenceType.objects.in_bulk(set(DEMO_ITEMS.values()), field_name="code")
    items = (
        ServiceItem.objects.filter(versions__state=VersionState.PUBLISHED, versions__name__in=list(DEMO_ITEMS))
        .values_list("pk", "versions__name")
        .distinct()
    )
    existing = {m.item_id: m for m in ItemCertificate.objects.filter(item_id__in=[pk for pk, _name in items])}
    for pk, name in items:
        licence_type = types.get(DEMO_ITEMS[name])
        if licence_type is None:
            continue
        sources = demo_field_sources(licence_type)
        current = existing.get(pk)
        if current is not None and current.licence_type_id == licence_type.pk and current.field_sources == sources:
            continue
        item_certificate_map(item=ServiceItem(pk=pk), licence_type=licence_type, field_sources=sources)
        (updated if current is not None else created)["cases.itemcertificate"] += 1
    if result is not None:
        result.created.update(created)
        result.updated.update(updated)
    return created + updated
