"""Sending: one conditional claim per delivery, failures recorded and retried at most three times in all."""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from tests.notifications import helpers
from zhengwu.notifications.backends import SentSms, SmsGateway, sms_outbox
from zhengwu.notifications.domain import deliveries_retry, deliveries_send, notify
from zhengwu.notifications.domain import delivery as delivery_domain
from zhengwu.notifications.enums import Category, DeliveryState
from zhengwu.notifications.models import Delivery

GATEWAYS = "tests.notifications.helpers"


def _notify(recipient, *, channels=("sms",)):
    [message] = notify(
        recipients=[recipient],
        category=Category.CASE_DECIDED,
        subject="您的申请已办结",
        body="准予许可。",
        link="/cases/7/",
        channels=channels,
    )
    return message


def _pending(recipient, *, channels=("sms",)) -> list[int]:
    """Create pending deliveries, as with a broker, without sending them (the queued task is not run)."""
    with helpers.broker_configured():
        message = _notify(recipient, channels=channels)
    return list(message.deliveries.filter(state=DeliveryState.PENDING).values_list("pk", flat=True))


def _state(pk) -> tuple:
    delivery = Delivery.objects.get(pk=pk)
    return delivery.state, delivery.attempts, delivery.last_error


@pytest.mark.django_db
def test_sending_the_same_ids_twice_sends_once(citizen, sms_outbox):
    ids = _pending(citizen, channels=("sms", "email"))

    assert deliveries_send(ids=ids) == 2
    assert deliveries_send(ids=ids) == 0
    assert deliveries_send(ids=ids, retry=True) == 0

    assert len(sms_outbox) == 1
    assert len(mail.outbox) == 1
    assert sorted(Delivery.objects.filter(pk__in=ids).values_list("channel", "state", "attempts")) == [
        ("email", "sent", 1),
        ("sms", "sent", 1),
    ]


@pytest.mark.django_db
def test_a_delivery_claimed_by_another_worker_is_left_to_it(citizen, sms_outbox):
    [pk] = _pending(citizen)
    Delivery.objects.filter(pk=pk).update(state=DeliveryState.SENDING, claimed_at=timezone.now(), attempts=1)

    assert deliveries_send(ids=[pk]) == 0
    assert deliveries_retry() == 0

    assert sms_outbox == []
    assert _state(pk) == ("sending", 1, "")


@pytest.mark.django_db
def test_inapp_and_skipped_deliveries_are_never_sent(other_citizen, sms_outbox):
    other_citizen.phone = ""
    other_citizen.save(update_fields=["phone"])
    [message] = notify(
        recipients=[other_citizen], category=Category.GENERAL, subject="通知", body="", channels=("inapp", "sms")
    )
    ids = list(message.deliveries.values_list("pk", flat=True))

    assert deliveries_send(ids=ids, retry=True) == 0
    assert sorted(message.deliveries.values_list("channel", "state", "attempts")) == [
        ("inapp", "sent", 1),
        ("sms", "skipped", 0),
    ]


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_by_the_sweep_up_to_three_attempts_then_a_warning_is_logged(
    citizen, settings, caplog
):
    settings.ZHENGWU_SMS_BACKEND = f"{GATEWAYS}.RefusingSmsGateway"
    [pk] = _pending(citizen)

    assert deliveries_send(ids=[pk]) == 0
    assert _state(pk) == ("failed", 1, "网关拒绝：余额不足")
    assert deliveries_send(ids=[pk]) == 0  # the after-commit path never retries
    assert _state(pk) == ("failed", 1, "网关拒绝：余额不足")

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="zhengwu.notifications"):
        assert deliveries_retry() == 0
        assert _state(pk) == ("failed", 2, "网关拒绝：余额不足")
        assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "zhengwu.notifications"] == [
            ("INFO", f"notification delivery {pk} failed (attempt 2): 网关拒绝：余额不足")
        ]

        assert deliveries_retry() == 0
        assert _state(pk) == ("failed", 3, "网关拒绝：余额不足")
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert [r.getMessage() for r in warnings] == [
            f"notification delivery {pk} (sms to 138****5678, message {Delivery.objects.get(pk=pk).message_id}) "
            "failed after 3 attempts: 网关拒绝：余额不足"
        ]

        assert deliveries_retry() == 0
        assert deliveries_send(ids=[pk], retry=True) == 0
    assert _state(pk) == ("failed", 3, "网关拒绝：余额不足")
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.django_db
def test_a_retry_that_succeeds_records_sent_and_clears_the_error(citizen, settings, sms_outbox):
    settings.ZHENGWU_SMS_BACKEND = f"{GATEWAYS}.FlakySmsGateway"
    helpers.flaky["failures_left"] = 1
    [pk] = _pending(citizen)

    assert deliveries_send(ids=[pk]) == 0
    assert _state(pk) == ("failed", 1, "网关超时")

    assert deliveries_retry() == 1

    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts, delivery.last_error, delivery.provider_reference) == (
        "sent",
        2,
        "",
        "flaky-ok",
    )
    assert delivery.sent_at is not None
    assert [sms.phone for sms in sms_outbox] == ["13812345678"]


@pytest.mark.django_db
def test_an_smtp_failure_is_recorded_on_the_email_delivery(citizen, settings):
    settings.EMAIL_BACKEND = f"{GATEWAYS}.BrokenEmailBackend"
    [pk] = _pending(citizen, channels=("email",))

    assert deliveries_send(ids=[pk]) == 0

    assert _state(pk) == ("failed", 1, "Connection unexpectedly closed")


@pytest.mark.django_db
def test_the_sweep_fails_a_claim_abandoned_by_a_dead_worker_and_sends_it_again(citizen, sms_outbox):
    [abandoned] = _pending(citizen)
    [in_progress] = _pending(citizen)
    now = timezone.now()
    Delivery.objects.filter(pk=abandoned).update(
        state=DeliveryState.SENDING, attempts=1, claimed_at=now - timedelta(minutes=11)
    )
    Delivery.objects.filter(pk=in_progress).update(
        state=DeliveryState.SENDING, attempts=1, claimed_at=now - timedelta(minutes=1)
    )

    assert deliveries_retry(now=now) == 1

    assert _state(abandoned) == ("sent", 2, "")
    assert _state(in_progress) == ("sending", 1, "")
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_an_abandoned_claim_on_the_last_attempt_stays_failed_with_a_warning(citizen, caplog):
    [pk] = _pending(citizen)
    now = timezone.now()
    Delivery.objects.filter(pk=pk).update(
        state=DeliveryState.SENDING, attempts=3, claimed_at=now - timedelta(minutes=30)
    )

    with caplog.at_level(logging.WARNING, logger="zhengwu.notifications"):
        assert deliveries_retry(now=now) == 0

    assert _state(pk) == ("failed", 3, "发送过程中断，未收到发送结果。")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].endswith("failed after 3 attempts: 发送过程中断，未收到发送结果。")


@pytest.mark.django_db
def test_the_sweep_sends_pending_deliveries_whose_task_was_lost_but_not_fresh_ones(citizen, sms_outbox):
    [lost] = _pending(citizen)
    [fresh] = _pending(citizen)
    now = timezone.now()
    Delivery.objects.filter(pk=lost).update(created_at=now - timedelta(minutes=3))

    assert deliveries_retry(now=now) == 1

    assert _state(lost) == ("sent", 1, "")
    assert _state(fresh) == ("pending", 0, "")


class LongReferenceGateway(SmsGateway):
    def send(self, phone: str, text: str) -> str:
        return "r" * 300


class ClaimTakenBackGateway(SmsGateway):
    """Sends while the sweep gives the claim up as abandoned (a send that outlived STALE_SENDING_AFTER)."""

    def send(self, phone: str, text: str) -> str:
        Delivery.objects.filter(state=DeliveryState.SENDING).update(
            state=DeliveryState.FAILED, last_error="发送过程中断，未收到发送结果。"
        )
        return "late"


@pytest.mark.django_db
def test_a_sent_delivery_records_the_time_and_the_reference_cut_to_its_column(citizen, settings):
    settings.ZHENGWU_SMS_BACKEND = f"{__name__}.LongReferenceGateway"
    [pk] = _pending(citizen)
    before = timezone.now()

    assert deliveries_send(ids=[pk]) == 1

    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts, delivery.last_error, delivery.provider_reference) == (
        "sent",
        1,
        "",
        "r" * 255,
    )
    assert before <= delivery.claimed_at <= delivery.sent_at <= timezone.now()


@pytest.mark.django_db
def test_a_claim_taken_back_during_the_send_is_not_recorded_as_sent(citizen, settings):
    settings.ZHENGWU_SMS_BACKEND = f"{__name__}.ClaimTakenBackGateway"
    [pk] = _pending(citizen)

    deliveries_send(ids=[pk])

    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts, delivery.provider_reference, delivery.sent_at) == (
        "failed",
        1,
        "",
        None,
    )


@pytest.mark.django_db
def test_sending_one_delivery_costs_two_statements_on_postgresql_and_three_on_sqlite(
    citizen, sms_outbox, django_assert_num_queries
):
    [pk] = _pending(citizen)

    # PostgreSQL: the claim returns the delivery with its message; SQLite reads them after its claim
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 3):
        assert deliveries_send(ids=[pk]) == 1

    assert _state(pk) == ("sent", 1, "")
    assert [sms.text for sms in sms_outbox] == [
        "【青川政务】您的申请已办结：准予许可。 https://zwfw.example.gov.cn/cases/7/"
    ]


@pytest.mark.django_db
def test_the_claimed_delivery_and_message_load_the_fields_the_claim_did_not_read(citizen, monkeypatch):
    [pk] = _pending(citizen)
    seen = []

    def send(delivery, gateway):
        message = delivery.message
        seen.append((delivery.state, delivery.created_at, message.created_at, message.in_inbox, message.sender_id))
        return "ok"

    monkeypatch.setattr(delivery_domain, "_send", send)

    assert deliveries_send(ids=[pk]) == 1

    stored = Delivery.objects.select_related("message").get(pk=pk)
    assert seen == [("sending", stored.created_at, stored.message.created_at, False, None)]


def test_deliveries_are_sent_in_process_only_where_celery_would_run_the_task_eagerly_and_propagate(broker):
    from zhengwu.notifications.tasks import deliver_pending

    conf = deliver_pending.app.conf
    assert delivery_domain.deliveries_sent_in_process() is False  # a broker

    conf.task_always_eager = True
    assert delivery_domain.deliveries_sent_in_process() is True  # the settings without a broker
    conf.task_eager_propagates = False
    try:
        assert delivery_domain.deliveries_sent_in_process() is False
    finally:
        conf.task_eager_propagates = True


@pytest.mark.django_db
def test_without_a_broker_after_commit_sends_the_claimed_deliveries_without_celery(
    citizen, sms_outbox, monkeypatch, django_capture_on_commit_callbacks
):
    from zhengwu.notifications.tasks import deliver_pending

    def through_celery(*args, **kwargs):
        raise AssertionError("the task went through Celery")

    monkeypatch.setattr(deliver_pending, "delay", through_celery)
    monkeypatch.setattr(deliver_pending, "apply", through_celery)

    with django_capture_on_commit_callbacks(execute=True):
        message = _notify(citizen, channels=("sms", "email"))

    assert sorted(message.deliveries.values_list("channel", "state", "attempts")) == [
        ("email", "sent", 1),
        ("sms", "sent", 1),
    ]
    assert len(sms_outbox) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_without_a_broker_each_delivery_costs_one_update_after_commit(
    citizen, sms_outbox, django_capture_on_commit_callbacks
):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as inserts, django_capture_on_commit_callbacks() as callbacks:
        message = _notify(citizen, channels=("inapp", "sms", "email"))
    with CaptureQueriesContext(connection) as sends:
        [send_after_commit] = callbacks
        send_after_commit()

    # PostgreSQL: the message and its deliveries in one statement; SQLite: bulk_create of each
    assert len(inserts.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    statements = [query["sql"] for query in sends.captured_queries]
    assert len(statements) == 2
    assert all(
        sql.startswith("UPDATE notifications_delivery SET state = 'sent', sent_at = ")
        and sql.endswith(" AND state = 'sending'")
        for sql in statements
    )
    assert sorted(message.deliveries.values_list("channel", "state", "attempts", "last_error")) == [
        ("email", "sent", 1, ""),
        ("inapp", "sent", 1, ""),
        ("sms", "sent", 1, ""),
    ]
    assert len(sms_outbox) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_with_a_broker_after_commit_queues_the_task_with_the_pending_ids(
    citizen, broker, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _notify(citizen, channels=("inapp", "sms", "email"))

    outbound = message.deliveries.exclude(channel="inapp")
    assert [sorted(queued) for queued in broker] == [sorted(outbound.values_list("pk", flat=True))]
    assert sorted(outbound.values_list("channel", "state", "attempts", "claimed_at")) == [
        ("email", "pending", 0, None),
        ("sms", "pending", 0, None),
    ]
    assert sms_outbox == []


@pytest.mark.django_db
def test_without_eager_propagation_the_deliveries_go_in_pending_and_the_task_runs_through_celery(
    citizen, monkeypatch, django_capture_on_commit_callbacks
):
    from zhengwu.notifications.tasks import deliver_pending

    conf = deliver_pending.app.conf
    delayed = []
    monkeypatch.setattr(deliver_pending, "delay", delayed.append)
    conf.task_eager_propagates = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = _notify(citizen, channels=("sms", "email"))
    finally:
        conf.task_eager_propagates = True

    assert [sorted(ids) for ids in delayed] == [sorted(message.deliveries.values_list("pk", flat=True))]
    assert set(message.deliveries.values_list("state", "attempts")) == {("pending", 0)}


@pytest.mark.django_db
def test_without_a_broker_an_error_of_the_send_after_commit_reaches_the_robust_hook_and_the_claim_stays(
    citizen, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    # As with Celery's eager mode and task_eager_propagates: the error is raised to Django's robust on_commit
    # hook, which logs it; the commit stands and the sweep takes the claim back once it is stale.
    def database_gone(deliveries):
        raise RuntimeError("database gone")

    monkeypatch.setattr(delivery_domain, "deliveries_send_claimed", database_gone)

    with pytest.raises(RuntimeError, match=r"^database gone$"):
        delivery_domain.deliveries_dispatch([], claimed=True)
    with (
        caplog.at_level(logging.ERROR, logger="django.db.backends.base"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        [pk] = _notify(citizen).deliveries.values_list("pk", flat=True)

    assert _state(pk) == ("sending", 1, "")
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "Error calling _send_after_commit.<locals>.send_after_commit in on_commit() (database gone)."
    ]


@pytest.mark.django_db
def test_without_a_broker_a_backend_failure_records_the_first_attempt_and_the_sweep_retries_it(
    citizen, settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.ZHENGWU_SMS_BACKEND = f"{GATEWAYS}.FlakySmsGateway"
    helpers.flaky["failures_left"] = 1

    with django_capture_on_commit_callbacks(execute=True):
        [pk] = _notify(citizen).deliveries.values_list("pk", flat=True)

    assert _state(pk) == ("failed", 1, "网关超时")
    assert sms_outbox == []

    assert deliveries_retry() == 1

    assert _state(pk) == ("sent", 2, "")
    assert [sms.reference for sms in sms_outbox] == ["flaky-ok"]


CLAIMED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_claimed_delivery_whose_send_never_ran_is_sent_once_by_the_sweep_after_the_claim_is_stale(
    citizen, sms_outbox, django_capture_on_commit_callbacks
):
    # The process dies between commit and send: the after-commit callback never runs.
    with time_machine.travel(CLAIMED_AT, tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            [pk] = _notify(citizen).deliveries.values_list("pk", flat=True)
        [lost_send] = callbacks

    assert _state(pk) == ("sending", 1, "")
    with time_machine.travel(CLAIMED_AT + delivery_domain.STALE_SENDING_AFTER, tick=False):
        # a fresh claim is another process's: neither the sweep nor a worker handed its id takes it
        assert deliveries_retry() == 0
        assert deliveries_send(ids=[pk], retry=True) == 0
        assert _state(pk) == ("sending", 1, "")
    with time_machine.travel(CLAIMED_AT + delivery_domain.STALE_SENDING_AFTER + timedelta(seconds=1), tick=False):
        assert deliveries_retry() == 1
        assert deliveries_retry() == 0
        lost_send()  # had the process only stalled, its late send finds its claim taken back and sends nothing

    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert delivery.claimed_at == CLAIMED_AT + delivery_domain.STALE_SENDING_AFTER + timedelta(seconds=1)
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_a_claim_half_the_stale_time_old_at_commit_is_renewed_before_its_send(
    citizen, sms_outbox, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # A transaction that ran long: its claim is moved to now first, so the sweep cannot take it back mid-send.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with time_machine.travel(CLAIMED_AT, tick=False):
            [old] = _notify(citizen).deliveries.values_list("pk", flat=True)
        with time_machine.travel(CLAIMED_AT + timedelta(seconds=1), tick=False):
            [young] = _notify(citizen).deliveries.values_list("pk", flat=True)
    sent_at = CLAIMED_AT + delivery_domain.SEND_CLAIMED_WITHIN
    with time_machine.travel(sent_at, tick=False), django_assert_num_queries(3):  # renewal + two sent records
        for send_after_commit in callbacks:
            send_after_commit()

    assert _state(old) == ("sent", 1, "")
    assert _state(young) == ("sent", 1, "")
    assert Delivery.objects.get(pk=old).claimed_at == sent_at
    assert Delivery.objects.get(pk=young).claimed_at == CLAIMED_AT + timedelta(seconds=1)
    with time_machine.travel(CLAIMED_AT + delivery_domain.STALE_SENDING_AFTER * 3, tick=False):
        assert deliveries_retry() == 0
    assert len(sms_outbox) == 2


class SlowGateway(SmsGateway):
    """Holds each send long enough for a second worker to try the same delivery."""

    lock = threading.Lock()

    def send(self, phone: str, text: str) -> str:
        time.sleep(0.05)
        with self.lock:
            sms_outbox.append(SentSms(phone=phone, text=text, reference=threading.current_thread().name))
        return threading.current_thread().name


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_ids_at_once_send_each_delivery_once(citizen, settings, sms_outbox, broker):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need PostgreSQL (the SQLite test database is not shared between threads)")
    # With a broker the after-commit task is only queued; here the two workers below are the only senders.
    settings.ZHENGWU_SMS_BACKEND = f"{__name__}.SlowGateway"
    ids = [pk for _ in range(6) for pk in _pending(citizen)]
    start = threading.Barrier(2)
    results: dict[str, int | Exception] = {}

    def worker():
        try:
            start.wait(5)
            results[threading.current_thread().name] = deliveries_send(ids=ids)
        except Exception as exc:
            results[threading.current_thread().name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["worker-1", "worker-2"]
    assert sum(results.values()) == 6
    assert len(sms_outbox) == 6
    states = list(Delivery.objects.filter(pk__in=ids).values_list("state", "attempts", "provider_reference"))
    assert sorted((state, attempts) for state, attempts, _ in states) == [("sent", 1)] * 6
    # Each delivery's recorded reference is the worker that sent it, and the outbox agrees.
    assert sorted(reference for *_, reference in states) == sorted(sms.reference for sms in sms_outbox)


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_sent_record_of_its_own_transaction_does_not_wait_for_the_disk_and_the_setting_ends_with_it(
    citizen, sms_outbox
):
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    [pk] = _pending(citizen)
    with CaptureQueriesContext(connection) as sends:
        assert deliveries_send(ids=[pk]) == 1
    recorded = [q["sql"] for q in sends.captured_queries if "SET state = 'sent'" in q["sql"]]
    assert len(recorded) == 1
    assert "set_config('synchronous_commit', 'off', true)" in recorded[0]
    assert _state(pk)[0] == DeliveryState.SENT
    assert _synchronous_commit() == "on"  # for that statement's transaction only
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_inside_a_transaction_the_sent_record_leaves_the_transaction_s_commit_as_it_is(citizen, sms_outbox):
    from django.test.utils import CaptureQueriesContext

    [pk] = _pending(citizen)
    with CaptureQueriesContext(connection) as sends:
        assert deliveries_send(ids=[pk]) == 1
    assert not any("synchronous_commit" in q["sql"] for q in sends.captured_queries)
    if connection.vendor == "postgresql":
        assert _synchronous_commit() == "on"
    assert _state(pk)[0] == DeliveryState.SENT
