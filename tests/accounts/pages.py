"""Reading rendered pages in tests: Django's field and non-field error lists, and who is logged in."""

import re


def field_errors(html: str, field: str) -> list[str]:
    """The error messages Django renders for one field (<ul class="errorlist" id="id_<field>_error">)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def non_field_errors(html: str) -> list[str]:
    match = re.search(r'<ul class="errorlist nonfield">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")
