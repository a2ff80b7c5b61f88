"""Admin: a fee's DMN rule is uploaded and checked; notices and payments are read-only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.cases.fee_setup import SAMPLE_DMN, TOTAL, make_fee_setup
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_fee_pay
from zhengwu.cases.models import FeeRule

pytestmark = pytest.mark.django_db


def test_a_dmn_rule_is_uploaded_and_audited(admin_client, hall):
    upload = SimpleUploadedFile("fee.dmn", SAMPLE_DMN.read_bytes(), content_type="application/xml")

    response = admin_client.post(
        reverse("admin:cases_feerule_add"),
        {"item": hall.version.item_id, "fee_name": "不动产登记费", "dmn_xml": "", "dmn_file": upload},
    )

    assert response.status_code == 302
    rule = FeeRule.objects.get()
    assert rule.dmn_xml == SAMPLE_DMN.read_text("utf-8")
    assert AuditEvent.objects.filter(object_type="cases.feerule", object_id=str(rule.pk)).count() == 1


def test_an_unusable_dmn_is_refused(admin_client, hall):
    response = admin_client.post(
        reverse("admin:cases_feerule_add"),
        {"item": hall.version.item_id, "fee_name": "登记费", "dmn_xml": "<definitions"},
    )

    assert response.status_code == 200
    assert "DMN 文件不是有效的 XML。" in response.content.decode()
    assert not FeeRule.objects.exists()


def test_notices_and_payments_are_read_only(admin_client, hall):
    fees = make_fee_setup(hall)
    notice = fees.notice(fees.decided_case())
    payment = case_fee_pay(actor=fees.fee_clerk, notice=notice, method="cash", amount=TOTAL)

    for name in ("feenotice", "feepayment"):
        assert admin_client.get(reverse(f"admin:cases_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:cases_{name}_add")).status_code == 403
    assert admin_client.get(reverse("admin:cases_feepayment_change", args=[payment.pk])).status_code == 200
    assert admin_client.get(reverse("admin:cases_feenotice_change", args=[notice.pk])).status_code == 200
