"""The hand-written row statements give what the ORM calls they replace give (ADR 0019, sixth pass)."""

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from tests.accounts.factories import make_citizen, make_department, make_staff
from tests.signals import save_signals
from zhengwu.accounts.enums import Role
from zhengwu.accounts.models import StaffProfile, User
from zhengwu.core.rows import (
    Locked,
    cache_related,
    converted,
    row_get,
    row_get_with,
    row_insert,
    row_update,
    rows_bulk_insert,
    rows_holding,
    rows_lock_together,
    rows_where,
    rows_with_held,
    select_columns,
    statement_cursor,
)
from zhengwu.org.models import Department, Section

pytestmark = pytest.mark.django_db


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _typed(obj) -> dict:
    return {name: (type(value), value) for name, value in _values(obj).items()}


@pytest.fixture
def staff(db):
    department = make_department()
    return make_staff("chengban", department=department, display_name="卢帆", roles=(Role.HANDLER,))


def test_a_read_with_related_rows_gives_the_orm_s_instances_in_one_statement(staff):
    expected = User.objects.select_related("staff__department__region", "staff__section").get(pk=staff.pk)
    with CaptureQueriesContext(connection) as ctx:
        user = row_get(User, staff.pk, related=("staff__department__region", "staff__section"))
        assert _typed(user) == _typed(expected)
        assert _typed(user.staff) == _typed(expected.staff)
        assert _typed(user.staff.department) == _typed(expected.staff.department)
        assert _typed(user.staff.department.region) == _typed(expected.staff.department.region)
        assert user.staff.section is None
        assert user.staff.user is user  # a one-to-one is cached on both sides, as select_related caches it
    assert len(ctx.captured_queries) == 1
    assert not user._state.adding and user._state.db == "default"


def test_a_missing_reverse_one_to_one_is_cached_as_missing_with_nothing_below_it(db):
    citizen = make_citizen()
    with CaptureQueriesContext(connection) as ctx:
        user = row_get(User, citizen.pk, related=("staff__department",))
        with pytest.raises(ObjectDoesNotExist):
            user.staff  # noqa: B018
    assert len(ctx.captured_queries) == 1


def test_a_missing_row_raises_the_model_s_does_not_exist(db):
    with pytest.raises(User.DoesNotExist):
        row_get(User, 987654)


@pytest.mark.parametrize("pk", [2**63, 10**23, -(2**63) - 1])
def test_a_key_past_the_column_s_range_is_a_missing_row_as_the_orm_has_it(db, pk):
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=pk)
    with pytest.raises(User.DoesNotExist):
        row_get(User, pk)


def test_deferred_fields_are_left_out_and_load_on_access(staff):
    user = row_get(User, staff.pk, related=("staff__department",), defer=("staff__department__name",))
    department = user.staff.department
    assert department.get_deferred_fields() == {"name"}
    assert department.name == "区行政审批局"


def test_a_locked_read_locks_the_row_itself_only(staff):
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        row_get(User, staff.pk, related=("staff",), for_update=True)
        row_get(Department, staff.staff.department_id, for_update=True)
    joined, alone = (q["sql"] for q in ctx.captured_queries)
    if connection.features.has_select_for_update:
        assert joined.endswith(" FOR UPDATE OF t0")
        assert alone.endswith(" FOR UPDATE")
    else:
        assert "FOR UPDATE" not in joined + alone


@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="SQLite has no row locks (the ORM does not refuse either)"
)
@pytest.mark.django_db(transaction=True)
def test_a_locked_read_is_refused_outside_a_transaction_as_select_for_update_is(staff):
    with pytest.raises(TransactionManagementError):
        row_get(User, staff.pk, for_update=True)


def test_extra_columns_come_back_beside_the_row(staff):
    user, extra = row_get_with(User, staff.pk, extra_columns="1 + 1")
    assert user.pk == staff.pk
    assert extra == (2,)


def test_rows_where_reads_the_matching_rows_in_the_order_asked(staff):
    department = staff.staff.department
    first = Section.objects.create(department=department, name="审批一科")
    second = Section.objects.create(department=department, name="审批二科")
    found = rows_where(
        Section, 't0."department_id" = %s', [department.pk], related=("department",), order_by='t0."id" DESC'
    )
    assert [s.pk for s in found] == [second.pk, first.pk]
    assert found[0].department.name == "区行政审批局"
    assert rows_where(Section, 't0."department_id" = %s', [department.pk + 1000]) == []


def test_the_insert_stores_what_save_stores_and_sends_the_save_signals(staff):
    with save_signals(Section) as sent:
        section = row_insert(Section(department=staff.staff.department, name="综合科"))
    assert section.pk is not None and not section._state.adding
    assert _typed(Section.objects.get(pk=section.pk)) == _typed(section)
    assert sent == [(pre_save, None, None), (post_save, True, None)]


def test_the_update_writes_only_the_named_fields(staff):
    profile = staff.staff
    department_id = profile.department_id
    section = Section.objects.create(department=profile.department, name="综合科")
    other = make_department("区市场监督管理局", "SC02")
    profile.section = section
    profile.department = other  # changed, not named: not written
    row_update(profile, ["section"])
    stored = StaffProfile.objects.get(pk=profile.pk)
    assert (stored.section_id, stored.department_id) == (section.pk, department_id)


def test_the_update_of_an_unknown_field_is_refused(staff):
    with pytest.raises(ValueError, match="nonsense"):
        row_update(staff.staff, ["nonsense"])


def test_the_update_of_a_row_that_is_gone_fails_and_marks_the_transaction_for_rollback(staff):
    section = Section.objects.create(department=staff.staff.department, name="综合科")
    Section.objects.filter(pk=section.pk).delete()
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            row_update(section, ["name"])
        assert connection.needs_rollback
        connection.set_rollback(False)


def test_the_bulk_insert_stores_what_bulk_create_stores_sets_the_keys_and_sends_no_signal(staff):
    department = staff.staff.department
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs["instance"])

    post_save.connect(receiver, sender=Section)
    try:
        with CaptureQueriesContext(connection) as ctx:
            made = rows_bulk_insert(
                [Section(department=department, name=name, sort_order=n) for n, name in enumerate("甲乙丙")]
            )
    finally:
        post_save.disconnect(receiver, sender=Section)
    assert len(ctx.captured_queries) == 1
    assert sent == []
    assert all(s.pk is not None and not s._state.adding for s in made)
    stored = Section.objects.filter(department=department).order_by("sort_order")
    assert [(s.pk, s.name, s.sort_order) for s in stored] == [(s.pk, s.name, s.sort_order) for s in made]


def test_the_bulk_insert_refuses_an_object_already_saved(staff):
    saved = Section.objects.create(department=staff.staff.department, name="综合科")
    with pytest.raises(ValueError):
        rows_bulk_insert([saved])


def test_hand_written_columns_come_back_as_the_orm_hands_them_out(staff):
    department = staff.staff.department
    fields = tuple(Department._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select_columns(connection, Department, 'd')} FROM org_department d WHERE d.id = %s",
            [department.pk],
        )
        values = converted(connection, fields, cursor.fetchone())
    read = Department.from_db("default", [f.attname for f in fields], values)
    assert _typed(read) == _typed(Department.objects.get(pk=department.pk))
    cache_related(read, "region", department.region)
    assert read.region is department.region


def _department(pk, region, n: int) -> Department:
    return Department(
        pk=pk, name=f"抽号部门{n}", code=f"DRAW{n}", credit_code=f"11330102MB00000{n:02d}X"[:18], region=region
    )


def test_a_drawn_key_points_the_row_at_the_row_inserted_after_it_with_that_key(staff):
    region = staff.staff.department.region
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            section = row_insert(Section(name="审批科"), draw=("department",))
        assert len(ctx.captured_queries) == 1
        drawn = section.department_id
        assert drawn is not None and section.pk is not None
        row_insert(_department(drawn, region, 1))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the deferred checks run now, and pass
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        second = row_insert(Section(name="审批科"), draw=("department",))
        row_insert(_department(second.department_id, region, 2))
        after = Department.objects.create(
            name="其后部门", code="DRAW3", credit_code="11330102MB0000003X", region=region
        )
    assert second.department_id > drawn
    assert after.pk > second.department_id  # the table's own sequence moved past the drawn keys
    assert Section.objects.get(pk=section.pk).department.name == "抽号部门1"
    assert Section.objects.get(pk=second.pk).department.name == "抽号部门2"


def _kept_cursor():
    with statement_cursor(connections["default"]) as cursor:
        return cursor


@pytest.fixture
def unshared(monkeypatch):
    """The connection as every web and worker process has it: not shared between threads. (pytest-django's live
    server lives for the whole session and leaves the in-memory SQLite connection shared once it has run.)"""
    monkeypatch.setattr(connections["default"], "_thread_sharing_count", 0)


@pytest.mark.django_db(transaction=True)
def test_the_statement_cursor_is_kept_per_connection_and_made_anew_for_a_new_connection(unshared):
    first = _kept_cursor()
    assert _kept_cursor() is first
    assert first.connection is connection.connection
    connection.close()  # (an in-memory SQLite database keeps its connection open)
    connection.ensure_connection()
    assert _kept_cursor().connection is connection.connection


def test_a_connection_shared_between_threads_gets_a_cursor_per_statement(db, unshared):
    shared = connections["default"]
    kept = _kept_cursor()
    shared.inc_thread_sharing()
    try:
        with statement_cursor(shared) as first, statement_cursor(shared) as second:
            assert first is not kept and second is not first
    finally:
        shared.dec_thread_sharing()
    assert _kept_cursor() is kept


def test_statements_are_counted_while_something_watches_them(staff):
    with CaptureQueriesContext(connection) as queries:
        row_get(User, staff.pk)
        with statement_cursor(connections["default"]) as cursor:
            cursor.execute("SELECT 1")
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "SELECT"]


def test_a_failed_statement_raises_django_s_exception_and_marks_the_transaction_for_rollback(staff):
    clash = User(username=staff.username, kind=staff.kind)
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            row_insert(clash)
        assert transaction.get_rollback()
        transaction.set_rollback(False)  # the failed statement left the transaction unusable on PostgreSQL
        transaction.set_rollback(True)
    assert User.objects.filter(username=staff.username).count() == 1


def test_the_statement_cursor_refuses_to_run_in_a_broken_transaction(staff):
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError), statement_cursor(connections["default"]) as cursor:
            cursor.execute("SELECT 1")


def test_rows_locked_together_are_what_their_own_locked_reads_give_in_one_statement(staff):
    department = staff.staff.department
    with transaction.atomic():
        alone = (
            row_get(User, staff.pk, related=("staff__department__region",), for_update=True),
            row_get(Department, department.pk, related=("region",), defer=("name",), for_update=True),
        )
        with CaptureQueriesContext(connection) as ctx:
            (user, found), extra = rows_lock_together(
                Locked(User, staff.pk, related=("staff__department__region",)),
                Locked(Department, department.pk, related=("region",), defer=("name",)),
                extra_columns="1 + 1",
            )
    assert extra == (2,)
    assert _typed(user) == _typed(alone[0]) and _typed(user.staff) == _typed(alone[0].staff)
    assert _typed(user.staff.department.region) == _typed(alone[0].staff.department.region)
    assert found.get_deferred_fields() == {"name"} and _typed(found.region) == _typed(alone[1].region)
    (sql,) = (q["sql"] for q in ctx.captured_queries)
    if connection.features.has_select_for_update:
        assert sql.endswith(" FOR UPDATE OF t0, r1_0")  # each row itself, in the order given
    else:
        assert "FOR UPDATE" not in sql


def test_rows_locked_together_raise_does_not_exist_of_the_missing_one(staff):
    with transaction.atomic(), pytest.raises(Department.DoesNotExist):
        rows_lock_together(Locked(User, staff.pk), Locked(Department, 987654))


@pytest.mark.skipif(not connection.features.has_select_for_update, reason="SQLite has no row locks")
@pytest.mark.django_db(transaction=True)
def test_rows_locked_together_hold_each_row_against_another_transaction(staff):
    from tests.concurrency import race

    department_id = staff.staff.department_id

    def first():
        rows_lock_together(Locked(User, staff.pk), Locked(Department, department_id))

    def second():
        with transaction.atomic():
            row_get(Department, department_id, for_update=True)

    results = race(first, second)
    assert (results["first"], results["second"], results["contender_waited"]) == ("ok", "ok", True)


# ---- writes held back for the next write (ADR 0019, tenth pass) -------------------------------------------------
def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


@pytest.fixture
def _postgres_only():
    if connections["default"].vendor != "postgresql":
        pytest.skip("writes are held back only on PostgreSQL")


postgres_only = [pytest.mark.postgres, pytest.mark.usefixtures("_postgres_only")]


def on_postgres(test):
    for mark in postgres_only:
        test = mark(test)
    return test


@pytest.fixture
def sections(staff):
    department = staff.staff.department
    return [Section.objects.create(department=department, name=name) for name in ("综合科", "审批科", "督查科")]


def _names(sections) -> list[str]:
    return list(Section.objects.filter(pk__in=[s.pk for s in sections]).order_by("pk").values_list("name", flat=True))


@on_postgres
def test_held_writes_go_with_the_next_write_as_one_statement_and_all_take_effect(sections):
    first, second, third = sections
    with transaction.atomic(), rows_holding(connection), CaptureQueriesContext(connection) as queries:
        first.name, second.name, third.name = "综合一科", "审批一科", "督查一科"
        row_update(first, ["name"], hold=True)
        row_update(second, ["name"], hold=True)
        assert queries.captured_queries == []
        row_update(third, ["name"])
    (statement,) = _statements(queries)
    assert statement.startswith('WITH held0 AS (UPDATE "org_section"')
    assert "held1 AS (UPDATE" in statement
    assert _names(sections) == ["综合一科", "审批一科", "督查一科"]
    assert connection.execute_wrappers == []


@on_postgres
def test_a_held_insert_with_its_key_goes_with_the_next_write(staff):
    department = staff.staff.department
    key = Section.objects.create(department=department, name="临时").pk + 1000  # a key no row has
    with transaction.atomic(), rows_holding(connection), CaptureQueriesContext(connection) as queries:
        held = row_insert(Section(pk=key, department=department, name="综合科"), hold=True)
        row_insert(Section(pk=key + 1, department=department, name="审批科"))
    assert len(_statements(queries)) == 1
    assert (held.pk, held._state.adding) == (key, False)
    assert set(Section.objects.filter(pk__in=[key, key + 1]).values_list("name", flat=True)) == {"综合科", "审批科"}


@on_postgres
def test_a_read_after_held_writes_sends_them_first_and_sees_them(sections):
    first, second, _third = sections
    with transaction.atomic(), rows_holding(connection), CaptureQueriesContext(connection) as queries:
        first.name, second.name = "综合一科", "审批一科"
        row_update(first, ["name"], hold=True)
        row_update(second, ["name"], hold=True)
        read = list(Section.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk").values_list("name", flat=True))
        reread = row_get(Section, first.pk)
    assert read == ["综合一科", "审批一科"] and reread.name == "综合一科"
    sent, *reads = _statements(queries)
    assert sent.startswith('WITH held0 AS (UPDATE "org_section"') and ') UPDATE "org_section"' in sent
    assert [sql.split()[0] for sql in reads] == ["SELECT", "SELECT"]


@on_postgres
def test_a_second_write_of_a_held_row_sends_the_first_before_it(sections):
    first = sections[0]
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), rows_holding(connection):
        first.name = "综合一科"
        row_update(first, ["name"], hold=True)
        first.name = "综合二科"
        row_update(first, ["name"], hold=True)
    assert [sql.startswith("WITH") for sql in _statements(queries)] == [False, False]  # one each, in order
    assert Section.objects.get(pk=first.pk).name == "综合二科"


@on_postgres
def test_the_end_of_the_block_sends_what_is_still_held(sections):
    first = sections[0]
    with transaction.atomic():
        with rows_holding(connection):
            first.name = "综合一科"
            row_update(first, ["name"], hold=True)
        assert connection.execute_wrappers == []
        assert Section.objects.get(pk=first.pk).name == "综合一科"


@on_postgres
def test_a_rolled_back_savepoint_drops_what_was_held_inside_it_and_keeps_what_was_held_before(sections):
    first, second, _third = sections
    with transaction.atomic(), rows_holding(connection):
        first.name = "综合一科"
        row_update(first, ["name"], hold=True)
        with pytest.raises(ValueError), transaction.atomic():
            second.name = "审批一科"
            row_update(second, ["name"], hold=True)
            raise ValueError
    assert _names(sections) == ["综合一科", "审批科", "督查科"]


@on_postgres
def test_an_error_leaving_the_block_drops_what_was_held(sections):
    first = sections[0]
    with pytest.raises(ValueError), transaction.atomic(), rows_holding(connection):
        first.name = "综合一科"
        row_update(first, ["name"], hold=True)
        raise ValueError
    assert connection.execute_wrappers == []
    assert Section.objects.get(pk=first.pk).name == "综合科"


@on_postgres
def test_a_held_write_that_fails_is_raised_by_the_statement_sending_it_and_marks_the_transaction(staff):
    department = staff.staff.department
    taken = Section.objects.create(department=department, name="综合科")
    with transaction.atomic():
        with rows_holding(connection):
            row_insert(Section(pk=taken.pk, department=department, name="重复"), hold=True)
            with pytest.raises(IntegrityError):
                row_get(Section, taken.pk)
            assert transaction.get_rollback()
        assert connection.execute_wrappers == []
        transaction.set_rollback(False)
        transaction.set_rollback(True)
    assert Section.objects.get(pk=taken.pk).name == "综合科"


def test_without_a_holding_block_or_on_sqlite_a_held_write_is_written_at_once(sections):
    first, second, _third = sections
    with transaction.atomic():
        first.name = "综合一科"
        row_update(first, ["name"], hold=True)
        assert rows_with_held(connection, "SELECT 1", []) == ("SELECT 1", [])
        with rows_holding(connection), CaptureQueriesContext(connection) as queries:
            second.name = "审批一科"
            row_update(second, ["name"], hold=True)
            holds = connection.vendor == "postgresql"
            assert len(queries.captured_queries) == (0 if holds else 1)
    assert _names(sections) == ["综合一科", "审批一科", "督查科"]
