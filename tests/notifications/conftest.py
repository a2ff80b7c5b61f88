import pytest

from tests.accounts.factories import make_citizen, make_department, make_staff
from tests.notifications.helpers import broker_configured


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.ZHENGWU_PUBLIC_URL = "https://zwfw.example.gov.cn"
    settings.ZHENGWU_SMS_SIGNATURE = "青川政务"
    settings.ZHENGWU_SMS_MAX_SEGMENTS = 2
    settings.ZHENGWU_SMS_BACKEND = "zhengwu.notifications.backends.LocmemSmsGateway"


@pytest.fixture
def citizen(db):
    user = make_citizen(phone="13812345678")
    user.email = "zhangsan@example.cn"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def other_citizen(db):
    from tests.accounts.factories import resident_id

    return make_citizen(phone="13912340000", real_name="李四", id_number=resident_id("11010519491231002"))


@pytest.fixture
def staff(db):
    return make_staff("handler1", department=make_department(), display_name="王芳", phone="13700001111")


@pytest.fixture
def broker(monkeypatch):
    """Celery as with CELERY_BROKER_URL set (the tests run without one, tasks eager): deliveries go in pending and
    `deliver_pending.delay` queues instead of running the task. Returns the ids each queued task was handed."""
    from zhengwu.notifications.tasks import deliver_pending

    queued: list[list[int]] = []
    monkeypatch.setattr(deliver_pending, "delay", queued.append)
    with broker_configured():
        yield queued
