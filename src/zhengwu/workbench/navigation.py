"""The staff side navigation, decided by the same named predicates the pages check."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.rules import can_manage_accounts, is_staff_member
from zhengwu.cases import rules as case_rules
from zhengwu.catalog import rules as catalog_rules
from zhengwu.ratings import rules as rating_rules
from zhengwu.supervision import rules as supervision_rules


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


def staff_nav_links(request) -> list[NavLink]:
    user = request.user
    oversight = supervision_rules.can_enter_oversight(user)
    entries = [
        (_("工作台首页"), "workbench:home", is_staff_member(user)),
        (_("我的待办"), "workbench:tasks", is_staff_member(user)),
        (_("窗口登记"), "workbench:case_register_items", case_rules.can_use_window_console(user)),
        (_("待受理"), "workbench:case_acceptance_queue", case_rules.can_view_acceptance_queue(user)),
        (_("差评整改"), "workbench:rating_follow_ups", rating_rules.can_view_follow_ups(user)),
        (_("统一收费窗口"), "workbench:fee_queue", case_rules.can_use_fee_window(user)),
        (_("延期审批"), "workbench:case_extension_queue", case_rules.can_view_extension_queue(user)),
        (_("待审批退费"), "workbench:fee_refund_queue", case_rules.can_view_fee_refund_queue(user)),
        (_("事项管理"), "workbench:catalog_items", catalog_rules.can_view_items(user)),
        (_("事项审核"), "workbench:catalog_review_queue", user.is_superuser or catalog_rules.can_review(user)),
        (_("事项导入导出"), "workbench:catalog_excel_import", catalog_rules.can_exchange_items(user)),
        (_("电子监察中心"), "oversight:home", oversight),
        (_("监察告警"), "oversight:alerts", oversight),
        (_("督办整改"), "oversight:orders", oversight),
        (_("抽查"), "oversight:spot_checks", oversight),
        (_("回访"), "oversight:callbacks", oversight),
        (_("违规认定"), "oversight:violations", oversight),
        (_("绩效考核"), "oversight:assessment", oversight),
        (_("系统管理"), "admin:index", user.is_staff and can_manage_accounts(user)),
    ]
    links = []
    for label, name, allowed in entries:
        if allowed:
            url = reverse(name)
            links.append(NavLink(str(label), url, request.path == url))
    return links
