"""What a transaction writes to the audit chain (ADR 0022): statements and the events appended."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengwu.audit.models import AuditChainHead, AuditEvent


def chain_tip() -> int:
    return AuditChainHead.objects.filter(id=1).values_list("last_seq", flat=True).first() or 0


@dataclass
class Appends:
    start: int
    sql: list[str] = field(default_factory=list)

    @property
    def head_statements(self) -> int:
        """Statements on the chain head: one compare-and-set per append (more only for a stale tip)."""
        return sum("audit_auditchainhead" in sql for sql in self.sql)

    @property
    def audit_statements(self) -> int:
        """Statements on the audit tables: on PostgreSQL an append is one (head and events together)."""
        return sum("audit_audit" in sql for sql in self.sql)

    def actions(self) -> list[str]:
        return list(AuditEvent.objects.filter(seq__gt=self.start).order_by("seq").values_list("action", flat=True))


@contextmanager
def audit_appends() -> Iterator[Appends]:
    """Capture the statements run inside; `actions()` then lists the events appended meanwhile, in chain order.
    Let the connection append once before (any setup that is audited does) so that it knows the chain's tip."""
    appends = Appends(start=chain_tip())
    with CaptureQueriesContext(connection) as queries:
        yield appends
    appends.sql = [query["sql"] for query in queries.captured_queries]


def assert_one_append(appends: Appends) -> None:
    assert appends.head_statements == 1
    if connection.vendor == "postgresql":
        assert appends.audit_statements == 1
