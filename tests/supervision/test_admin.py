"""Admin: points are edited (enabled, severity, thresholds — validated, audited), alerts and runs only viewed."""

import json

import pytest
from django.urls import reverse

from tests.supervision.conftest import at, sweep
from zhengwu.audit.models import AuditEvent
from zhengwu.supervision.admin import MonitoringPointForm
from zhengwu.supervision.models import Alert, MonitoringPoint

pytestmark = pytest.mark.django_db

CODE = "approval.handling_overdue"


@pytest.mark.parametrize(
    ("thresholds", "error"),
    [
        ({"warn_ratio": 0.9, "red_after_working_days": 3}, None),
        ({"warn_ratio": 1.5}, "预警比例必须大于 0 且不超过 1（例如 0.8）。"),
        ({"red_after_working_days": 1.5}, "红牌工作日数必须是整数。"),
        ({"red_after": 2}, "未知的阈值：red_after。可配置：warn_ratio、red_after_working_days。"),
        ({"warn_ratio": "0.8"}, "阈值“warn_ratio”必须是非负数。"),
    ],
)
def test_thresholds_are_validated(accepted, thresholds, error):
    sweep(at(2026, 3, 3))
    point = MonitoringPoint.objects.get(code=CODE)
    form = MonitoringPointForm(
        instance=point, data={"enabled": "on", "severity": "high", "thresholds": json.dumps(thresholds)}
    )
    assert form.is_valid() == (error is None)
    if error:
        assert form.errors["thresholds"] == [error]


def test_admin_edits_a_point_with_an_audit_event_and_shows_alerts_read_only(admin_client, accepted):
    sweep(at(2026, 3, 12))
    point = MonitoringPoint.objects.get(code=CODE)
    url = reverse("admin:supervision_monitoringpoint_change", args=[point.pk])
    response = admin_client.post(
        url, {"enabled": "on", "severity": "high", "thresholds": '{"warn_ratio": 0.7, "red_after_working_days": 3}'}
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.thresholds == {"warn_ratio": 0.7, "red_after_working_days": 3}
    assert AuditEvent.objects.filter(action="supervision.monitoringpoint.changed").count() == 1
    alert = Alert.objects.get(point=point)
    assert admin_client.get(reverse("admin:supervision_alert_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:supervision_alert_change", args=[alert.pk])).status_code == 200
    assert admin_client.post(reverse("admin:supervision_alert_delete", args=[alert.pk])).status_code == 403
    assert admin_client.get(reverse("admin:supervision_monitoringpoint_add")).status_code == 403
    assert admin_client.get(reverse("admin:supervision_sweeprun_changelist")).status_code == 200


SCHEME = {
    "name": "2026年度考核方案",
    "active": "on",
    "weights": json.dumps({"on_time": 40, "alerts": 20, "online_share": 10}),
    "thresholds": json.dumps({"excellent": 90, "good": 80, "pass": 60}),
    "rung_penalties": json.dumps({"1": 1, "2": 3, "3": 5}),
}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (None, None, None),
        (
            "weights",
            {"speed": 10},
            "未知的键：speed。可用：on_time（按期办结率）、time_ratio（用时比）、alerts（每百件告警）、"
            "one_time_correction（一次性告知率）、bad_ratings（差评率及整改）、online_share（网上申报占比）。",
        ),
        ("weights", {"on_time": 0}, "权重之和必须大于 0。"),
        ("weights", {"on_time": -5}, "“按期办结率”必须是非负数。"),
        ("thresholds", {"excellent": 80, "good": 90, "pass": 60}, "分数线须满足 100 ≥ 优秀 ≥ 良好 ≥ 合格。"),
        ("thresholds", {"excellent": 90, "good": 80}, "请为优秀、良好、合格各设一条分数线。"),
        ("rung_penalties", {"4": 9}, "未知的键：4。可用：1（预警）、2（黄牌）、3（红牌）。"),
    ],
)
def test_assessment_scheme_weights_thresholds_and_penalties_are_validated(field, value, error):
    from zhengwu.supervision.admin import AssessmentSchemeForm

    data = dict(SCHEME)
    if field:
        data[field] = json.dumps(value)
    form = AssessmentSchemeForm(data=data)
    assert form.is_valid() == (error is None)
    if error:
        assert form.errors[field] == [error]


def test_admin_lists_the_supervisors_work_read_only(admin_client):
    for name in ("assessmentscheme", "assessmentresult", "supervisionorder", "spotcheck", "callback", "violation"):
        assert admin_client.get(reverse(f"admin:supervision_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:supervision_violation_add")).status_code == 403
