import pytest

from tests.workcal.calendar_helpers import ensure_national_calendar
from tests.workcal.clock_helpers import at, frozen, subject, user
from zhengwu.workcal.domain.clock import (
    clock_explain,
    clock_extend,
    clock_pause,
    clock_restart,
    clock_resume,
    clock_start,
    clock_stop,
)

pytestmark = pytest.mark.django_db

HEAD = [
    "计时对象：营业执照申请。",
    "法定期限：行政许可决定，20 个工作日（《行政许可法》第四十二条第一款、第八十二条）。",
    "经本行政机关负责人批准，可延长 10 个工作日。",
    "收到时间：2026-09-25 15:00（星期五）。",
    "2026-09-25（星期五）为法定节假日（中秋节），视为下一个工作日 2026-09-28（星期一）收到。",
    "起算日：2026-09-28（星期一）；依《民法典》第二百零一条，开始的当日不计入，自次日 2026-09-29 起算。",
    "按工作日计算：不含法定节假日和休息日，含调休上班日。",
]


@pytest.fixture(autouse=True)
def _national_calendar(db):
    ensure_national_calendar()


@pytest.fixture
def handler(db):
    return user("handler", "李承办")


@pytest.fixture
def leader(db):
    return user("leader", "王局长")


@pytest.fixture
def licence(handler):
    with frozen("2026-09-25 15:00"):
        return clock_start(
            actor=handler,
            subject=subject("营业执照申请"),
            preset="licence_decision",
            received_at=at("2026-09-25 15:00"),
        )


def test_explain_a_licence_decision_with_a_pause_and_an_extension(handler, leader, licence):
    with frozen("2026-10-15 16:00"):
        clock_pause(
            actor=handler, clock=licence, reason="expert_review", basis="组织专家评审", at=at("2026-10-12 10:00")
        )
        clock_resume(actor=handler, clock=licence, at=at("2026-10-15 16:00"))
        clock_extend(actor=handler, clock=licence, days=10, basis="情况复杂", approver=leader)
    assert licence.explain(at("2026-10-16 10:00")) == [
        *HEAD,
        "暂停（专家评审）（《行政许可法》第四十五条）：2026-10-12 10:00 至 2026-10-15 16:00，依据：组织专家评审；"
        "3 个工作日不计入期限。",
        "延长 10 个工作日：2026-10-15 16:00 经 王局长 批准，依据：情况复杂。",
        "应计 33 个工作日 = 期限 20 + 延长 10 + 暂停不计 3。",
        "期间内遇法定节假日 国庆节：2026-10-01 至 2026-10-07，共 7 天，不计入。",
        "期间内遇周末休息日 11 天（10-11、10-17、10-18、10-24、10-25、10-31、11-01、11-07、11-08、11-14、11-15），"
        "不计入。",
        "2026-10-10（星期六）为调休上班日（国庆节调休），计为工作日。",
        "第 33 个工作日为 2026-11-18（星期三），即期限届满日。",
        "届满时间：2026-11-18 24 时（记为 23:59:59）。",
    ]
    assert licence.due_date.isoformat() == "2026-11-18"


def test_explain_an_open_pause_as_if_resumed_now(handler, licence):
    with frozen("2026-10-15 16:00"):
        clock_pause(
            actor=handler,
            clock=licence,
            reason="expert_review",
            basis="组织专家评审",
            at=at("2026-10-12 10:00"),
            expected_days=5,
        )
    lines = clock_explain(licence, now=at("2026-10-15 16:00"))
    assert lines[len(HEAD)] == (
        "暂停中（专家评审）（《行政许可法》第四十五条）：自 2026-10-12 10:00 起，预计 5 个工作日，依据：组织专家评审；"
        "暂停期间不计入期限，届满日待恢复计时后确定，以下按截至 2026-10-15 16:00 计算（3 个工作日不计入）。"
    )
    assert lines[-2:] == [
        "第 23 个工作日为 2026-11-04（星期三），即期限届满日。",
        "届满时间：2026-11-04 24 时（记为 23:59:59）。",
    ]


def test_explain_a_late_stop(handler, licence):
    with frozen("2026-11-05 09:00"):
        clock_stop(actor=handler, clock=licence, at=at("2026-11-05 09:00"))
    assert licence.explain()[-1] == "已于 2026-11-05 09:00 停止计时：超期办结（超过届满日 4 个工作日）。"


def test_explain_a_calendar_period_rolled_forward(handler):
    with frozen("2026-07-03 18:00"):
        clock = clock_start(
            actor=handler, subject=subject("处罚案件"), preset="penalty_decision", received_at=at("2026-07-03 18:00")
        )
    assert clock.explain() == [
        "计时对象：处罚案件。",
        "法定期限：行政处罚决定，90 日（自然日）（《行政处罚法》第六十条）。",
        "收到时间：2026-07-03 18:00（星期五）。",
        "起算日：2026-07-03（星期五）；依《民法典》第二百零一条，开始的当日不计入，自次日 2026-07-04 起算。",
        "按自然日计算，期间内的节假日照常计入。",
        "第 90 日为 2026-10-01（星期四），法定节假日（国庆节）。",
        "依《民法典》第二百零三条，期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日："
        "2026-10-01 至 2026-10-07 休息（国庆节），顺延至 2026-10-08（星期四）。",
        "期限届满日：2026-10-08（星期四）。",
        "届满时间：2026-10-08 24 时（记为 23:59:59）。",
    ]


def test_explain_an_after_hours_receipt(handler):
    with frozen("2025-09-30 17:45"):
        clock = clock_start(
            actor=handler, subject=subject("公开申请"), preset="disclosure_reply", received_at=at("2025-09-30 17:45")
        )
    lines = clock.explain()
    assert lines[3:5] == [
        "收到时间：2025-09-30 17:45（星期二）。",
        "收到时间晚于办公截止时间 17:30，视为下一个工作日 2025-10-09（星期四）收到。",
    ]
    assert "第 20 个工作日为 2025-11-05（星期三），即期限届满日。" in lines


def test_explain_a_restart(handler):
    with frozen("2026-03-02 09:00"):
        clock = clock_start(
            actor=handler, subject=subject("公开申请"), preset="disclosure_reply", received_at=at("2026-03-02 09:00")
        )
    with frozen("2026-03-16 14:00"):
        clock_pause(actor=handler, clock=clock, reason="correction", basis="补正告知", at=at("2026-03-05 10:00"))
        clock_restart(actor=handler, clock=clock, at=at("2026-03-16 14:00"), basis="收到补正后的申请")
    lines = clock.explain()
    assert lines[3:6] == [
        "收到时间：2026-03-02 09:00（星期一）。",
        "于 2026-03-16 14:00 重新起算（第 1 次），依据：收到补正后的申请；此前的暂停和延长不再计入。",
        "起算日：2026-03-16（星期一）；依《民法典》第二百零一条，开始的当日不计入，自次日 2026-03-17 起算。",
    ]
    assert "期间内遇法定节假日 清明节：2026-04-04 至 2026-04-06，共 3 天，不计入。" in lines
    assert not any("暂停" in line and "补正告知" in line for line in lines)


def test_explain_a_promised_limit_and_a_provisional_year(handler):
    with frozen("2026-12-15 10:00"):
        clock = clock_start(
            actor=handler,
            subject=subject("许可申请"),
            preset="licence_decision",
            limit=15,
            received_at=at("2026-12-15 10:00"),
        )
    lines = clock.explain()
    assert "本计时采用承诺期限 15 个工作日。" in lines
    assert lines[-2:] == [
        "届满时间：2027-01-05 24 时（记为 23:59:59）。",
        "注意：2027 年工作日历尚未导入，该年度按周一至周五临时计算，届满日为临时结果。",
    ]


def test_explain_marks_configurable_presets(handler):
    with frozen("2026-12-15 10:00"):
        clock = clock_start(
            actor=handler, subject=subject("热线工单"), preset="hotline_handling", received_at=at("2026-12-15 10:00")
        )
    assert clock.explain()[1:4] == [
        "法定期限：12345热线工单办理，5 个工作日（国办发〔2020〕53号；地方热线工单办理规定）。",
        "经承办单位负责人批准，可延长 5 个工作日。",
        "注：该期限依据地方规定或实践，为可配置的默认值。",
    ]
