"""Helpers shared by the case domain functions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.cases.enums import CaseState
from zhengwu.cases.models import Case
from zhengwu.cases.rules import ExternalSystemActor, registered_by_external_system
from zhengwu.core.rows import Locked, row_get_with, rows_lock_together
from zhengwu.notifications.domain import notify, notify_phone
from zhengwu.notifications.domain.notify import SUBJECT_MAX_LENGTH
from zhengwu.notifications.enums import Category, Channel
from zhengwu.workcal.arith import remember_version, version_columns_sql, version_wanted

SYSTEM_ACTOR = "system:cases"


def user_or_none(actor: Any) -> AbstractBaseUser | None:
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None


# What the case functions read of a locked case: its department's region (for clocks) and its external
# link, if any (for `registered_by_external_system`), besides its item.
LOCK_RELATED = ("item_version__item", "department__region", "external_link")
# ... and the applicant's account, for functions that notify them.
LOCK_WITH_APPLICANT = (*LOCK_RELATED, "applicant")


# What no case function reads of the related rows, left out of the lock's read (a read of one loads it): the
# item version's long texts, the applicant's credentials.
_UNREAD = {
    "item_version": (
        "acceptance_conditions",
        "process_description",
        "place",
        "office_hours",
        "consultation_phone",
        "complaint_phone",
        "result_sample",
        "handling_scope",
        "intermediary_services",
        "legal_basis",
        "review_comment",
    ),
    "applicant": ("password", "last_login", "first_name", "last_name", "date_joined"),
}
_DEFER: dict[tuple[str, ...], tuple[str, ...]] = {}


def lock(case: Case, *, related: tuple[str, ...] = LOCK_RELATED) -> Case:
    """The case row, locked until the transaction ends, with the `related` rows read in the same query
    (`locked_cases(related).get(pk=case.pk)`, hand-written: every case function starts with it)."""
    return lock_row(case.pk, related=related)


def lock_row(pk: int, *, related: tuple[str, ...]) -> Case:
    """`lock` by primary key (Case.DoesNotExist when there is no such case). The calendar version is read along
    when the transaction has not read it: nearly every case function computes a clock next (ADR 0019)."""
    connection = connections[router.db_for_write(Case)]
    wanted = version_wanted(connection)
    case, version = row_get_with(
        Case,
        pk,
        related=related,
        defer=_deferred(related),
        for_update=True,
        extra_columns=version_columns_sql(connection) if wanted else "",
    )
    if wanted:
        remember_version(connection, version)
    return case


def lock_row_with(pk: int, other: Locked, *, related: tuple[str, ...]) -> tuple[Case, Any]:
    """`lock_row`, and in the same statement the `other` row, locked after the case (e.g. its process's
    instance, `workflow.domain.instance_lock`): one round trip instead of two (ADR 0019, eighth pass)."""
    connection = connections[router.db_for_write(Case)]
    wanted = version_wanted(connection)
    (case, found), version = rows_lock_together(
        Locked(Case, pk, related=related, defer=_deferred(related)),
        other,
        extra_columns=version_columns_sql(connection) if wanted else "",
    )
    if wanted:
        remember_version(connection, version)
    return case, found


def _deferred(related: tuple[str, ...]) -> tuple[str, ...]:
    defer = _DEFER.get(related)
    if defer is None:
        paths = {part for path in related for part in _prefixes(path)}
        defer = _DEFER[related] = tuple(f"{path}__{name}" for path in sorted(paths) for name in _UNREAD.get(path, ()))
    return defer


def _prefixes(path: str) -> list[str]:
    parts = path.split("__")
    return ["__".join(parts[: i + 1]) for i in range(len(parts))]


def locked_cases(related: tuple[str, ...] = LOCK_RELATED) -> QuerySet[Case]:
    """Cases as `lock` reads them (filter to the rows to lock)."""
    cases = Case.objects.select_for_update(of=("self",))
    return cases.select_related(*related) if related else cases


def sync(target: Case, source: Case) -> Case:
    """Give the caller's instance the committed state."""
    if target is not source:
        for field in Case._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
        target._state.fields_cache.clear()
    return target


def require_state(case: Case, allowed: frozenset[str] | set[str], action: str) -> None:
    if case.state not in allowed:
        raise ValidationError(
            _("办件当前状态为“%(state)s”，不能%(action)s。") % {"state": CaseState(case.state).label, "action": action}
        )


def snapshot(case: Case) -> dict[str, Any]:
    return {
        "state": case.state,
        "accepted_at": case.accepted_at,
        "deemed_accepted": case.deemed_accepted,
        "acceptance_clock_id": case.acceptance_clock_id,
        "handling_clock_id": case.handling_clock_id,
    }


def tell_applicant(case: Case, *, category: Category, subject: str, body: str, actor: Any) -> None:
    """Notify the applicant: their account (in-app, SMS and e-mail); an applicant registered at the window without
    one, by SMS to the case's phone number (nothing without a number). The station agent who filed the case is
    told too, in their message centre, of what they did not do themselves. A case a departmental system registered
    is left to that system to tell its applicant (it is handled there, ADR 0018), as before."""
    if case.applicant_id is not None:
        notify(recipients=[case.applicant], category=category, subject=subject, body=body, actor=actor)
        if case.proxy_agent_id is not None and getattr(actor, "pk", None) != case.proxy_agent_id:
            _tell_agent(case, category=category, subject=subject, body=body, actor=actor)
    elif case.applicant_phone and not _handled_by_department_system(case, actor):
        notify_phone(phone=case.applicant_phone, category=category, subject=subject, body=body, actor=actor)


def _tell_agent(case: Case, *, category: Category, subject: str, body: str, actor: Any) -> None:
    """The 代办员 follows the cases they filed (they bring corrections and often collect the result): the applicant's
    notice as an in-app message with a link to the case page; no SMS or e-mail, which the applicant gets."""
    agent = case.proxy_agent
    if not agent.is_active:
        return
    notify(
        recipients=[agent],
        category=category,
        subject=(_("代办件：%(subject)s") % {"subject": subject})[:SUBJECT_MAX_LENGTH],
        body=_("申请人：%(name)s\n%(body)s") % {"name": case.applicant_name, "body": body},
        link=reverse("workbench:case_detail", args=[case.number]),
        channels=(Channel.INAPP,),
        actor=actor,
    )


def _handled_by_department_system(case: Case, actor: Any) -> bool:
    return isinstance(actor, ExternalSystemActor) or registered_by_external_system(case)


def fmt(dt) -> str:
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}"
