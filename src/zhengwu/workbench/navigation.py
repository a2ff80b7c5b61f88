"""The staff side navigation, decided by the same named predicates the pages check."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.rules import can_manage_accounts, is_county_wide, is_staff_member
from zhengwu.cases import rules as case_rules
from zhengwu.catalog import rules as catalog_rules


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


def staff_nav_links(request) -> list[NavLink]:
    user = request.user
    entries = [
        (_("工作台首页"), "workbench:home", is_staff_member(user)),
        (_("我的待办"), "workbench:tasks", is_staff_member(user)),
        (_("窗口登记"), "workbench:case_register_items", case_rules.can_use_window_console(user)),
        (_("待受理"), "workbench:case_acceptance_queue", case_rules.can_view_acceptance_queue(user)),
        (_("延期审批"), "workbench:case_extension_queue", case_rules.can_view_extension_queue(user)),
        (_("事项管理"), "workbench:catalog_items", catalog_rules.can_view_items(user)),
        (_("事项审核"), "workbench:catalog_review_queue", user.is_superuser or catalog_rules.can_review(user)),
        (_("事项导入导出"), "workbench:catalog_excel_import", catalog_rules.can_exchange_items(user)),
        (_("电子监察中心"), "oversight:home", is_county_wide(user)),
        (_("系统管理"), "admin:index", user.is_staff and can_manage_accounts(user)),
    ]
    links = []
    for label, name, allowed in entries:
        if allowed:
            url = reverse(name)
            links.append(NavLink(str(label), url, request.path == url))
    return links
