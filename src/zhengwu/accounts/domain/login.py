"""Login records and throttling against password guessing (database-backed, so it holds across processes)."""

import datetime
import math

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.accounts.domain.identity import mask_id_number
from zhengwu.accounts.models import LoginFailure, User
from zhengwu.audit.domain import audit_record, audited_atomic

IP_LIMIT_FACTOR = 4


def _limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 5))


def _window() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", 900)))


def login_throttled_message() -> str:
    minutes = max(1, math.ceil(_window().total_seconds() / 60))
    return _("登录失败次数过多，为保护账户安全，请%(minutes)d分钟后再试。") % {"minutes": minutes}


def login_user_find(login: str) -> User | None:
    """The account a login name points at: exact username first, then a phone number held by one account."""
    login = login.strip()
    if not login:
        return None
    user = User.objects.filter(username=login).first()
    if user is None and len(login) == 18 and login.upper() != login:  # a 统一社会信用代码 typed in lower case
        user = User.objects.filter(username=login.upper()).first()
    if user is None:
        by_phone = list(User.objects.filter(phone=login)[:2])
        user = by_phone[0] if len(by_phone) == 1 else None
    return user


def _throttle_key(login: str, user: User | None = None) -> str:
    """Failures count per account whichever name (username or phone) was typed."""
    user = user or login_user_find(login)
    return user.username if user is not None else login.strip()[:150]


def login_is_throttled(*, username: str, ip: str | None) -> bool:
    since = timezone.now() - _window()
    recent = LoginFailure.objects.filter(at__gte=since)
    if recent.filter(username=_throttle_key(username)).count() >= _limit():
        return True
    return ip is not None and recent.filter(ip=ip).count() >= _limit() * IP_LIMIT_FACTOR


def login_failure_record(*, username: str, ip: str | None) -> LoginFailure:
    """Record one failed login; the failure that reaches a limit is audited as accounts.login_throttled."""
    now = timezone.now()
    since = now - _window()
    user = login_user_find(username)
    key = _throttle_key(username, user)
    with audited_atomic():
        LoginFailure.objects.filter(at__lt=since).delete()
        failure = LoginFailure.objects.create(username=key, ip=ip, at=now)
        recent = LoginFailure.objects.filter(at__gte=since)
        by_name = recent.filter(username=key).count()
        by_ip = recent.filter(ip=ip).count() if ip is not None else 0
        if by_name == _limit() or by_ip == _limit() * IP_LIMIT_FACTOR:
            audit_record(
                actor=None,
                action="accounts.login_throttled",
                obj=user,
                object_type="" if user is not None else "accounts.loginfailure",
                object_repr="" if user is not None else mask_id_number(key),
                after={
                    "scope": "username" if by_name == _limit() else "ip",
                    "failures": by_name if by_name == _limit() else by_ip,
                    "window_seconds": int(_window().total_seconds()),
                },
                ip=ip,
            )
    return failure


def login_success_record(*, user: User, username: str = "", ip: str | None = None, channel: str = "portal") -> None:
    """Clear the account's failures and audit the login."""
    with audited_atomic():
        names = {user.username, username.strip()} - {""}
        LoginFailure.objects.filter(Q(username__in=names)).delete()
        audit_record(actor=user, action="accounts.login", obj=user, after={"channel": channel}, ip=ip)


def logout_record(*, user: User) -> None:
    with audited_atomic():
        audit_record(actor=user, action="accounts.logout", obj=user)
