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
