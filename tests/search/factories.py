"""Search test helpers."""

from tests.accounts.factories import make_department, make_staff
from tests.catalog.factories import Curation
from zhengwu.accounts.enums import Role
from zhengwu.catalog.models import ItemVersion


class PoliceCuration(Curation):
    """A second department (区公安分局) with its own editor and reviewer."""

    def __init__(self):
        self.department = make_department("区公安分局", "GA02")
        self.editor = make_staff(
            "ga_editor", department=self.department, display_name="孙编辑", roles=(Role.CATALOG_EDITOR,)
        )
        self.reviewer = make_staff(
            "ga_reviewer", department=self.department, display_name="李审核", roles=(Role.LEGAL_REVIEWER,)
        )


def names(hits) -> list[str]:
    by_id = dict(ItemVersion.objects.filter(pk__in=[h.version_id for h in hits]).values_list("pk", "name"))
    return [by_id[h.version_id] for h in hits]
