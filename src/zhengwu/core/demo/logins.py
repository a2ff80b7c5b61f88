"""Well-known demo accounts printed by `zhengwu demo` (all share one password)."""

from zhengwu.core.demo import data, people

DEMO_PASSWORD = "Zhengwu@2026"

_citizen_name, _citizen_phone = data.FEATURED_CITIZEN
_enterprise = people.enterprises(1)[0]

# (username, password, description)
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", DEMO_PASSWORD, "系统管理员（可进入系统管理后台）"),
    (_citizen_phone, DEMO_PASSWORD, f"自然人{_citizen_name}（以手机号登录）"),
    (_enterprise.credit_code, DEMO_PASSWORD, f"法人{_enterprise.name}（以统一社会信用代码登录）"),
    *((f.username, DEMO_PASSWORD, f.description) for f in data.FEATURED_STAFF),
]
