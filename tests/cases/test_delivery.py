"""Delivery (送达): pickup at the window or express, chosen by the applicant; staff ship or hand over."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.cases.outcome import decide, denied, granted, leader_of, map_food, online_case
from zhengwu.audit.models import AuditEvent
from zhengwu.cases.domain import case_certificate_issue, case_delivery_arrange, case_hand_over, case_ship
from zhengwu.cases.domain.intake import case_submit_by_proxy
from zhengwu.cases.domain.lookup import case_timeline
from zhengwu.cases.enums import DeliveryMethod, DeliveryState
from zhengwu.cases.models import CaseDelivery
from zhengwu.catalog.models import ItemVersion
from zhengwu.notifications.enums import Category
from zhengwu.notifications.models import Message

pytestmark = pytest.mark.django_db

ADDRESS = {"address": "青川区文昌路 6 号 3 单元 201 室", "recipient": "李四", "phone": "13953600003"}


@pytest.fixture
def leader(hall):
    return leader_of(hall)


def messages(user, category) -> list[str]:
    return list(Message.objects.filter(recipient=user, category=category).values_list("subject", flat=True))


def actions(case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def express(hall, case) -> CaseDelivery:
    return case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.EXPRESS, **ADDRESS)


# ---------------------------------------------------------------- arranging


def test_pickup_chosen_before_the_certificate_is_announced_once_when_it_is_issued(hall, leader):
    map_food(hall)
    case = granted(hall, leader)

    delivery = case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)

    assert (delivery.method, delivery.state, delivery.recipient) == ("pickup", "arranged", case.applicant_name)
    assert messages(hall.enterprise, Category.CASE_READY_FOR_PICKUP) == []
    case_certificate_issue(actor=hall.handler, case=case)
    case_certificate_issue(actor=hall.handler, case=case)
    assert messages(hall.enterprise, Category.CASE_READY_FOR_PICKUP) == [f"办理结果可以领取了：{case.number}"]
    delivery.refresh_from_db()
    assert delivery.ready_notified_at is not None


def test_pickup_chosen_when_the_result_is_ready_is_announced_at_once(hall, leader):
    case = granted(hall, leader)  # the item maps no certificate: the result is ready on decision

    case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)

    assert messages(hall.enterprise, Category.CASE_READY_FOR_PICKUP) == [f"办理结果可以领取了：{case.number}"]
    assert actions(case)[-1] == "cases.delivery_arranged"
    assert case_timeline(case)[-1].label == "选择送达方式"
    assert case_timeline(case)[-1].detail == "窗口领取"


def test_express_needs_an_address_recipient_and_phone(hall, leader):
    case = granted(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.EXPRESS, recipient="李四")

    assert error.value.message_dict == {"address": ["请填写邮寄地址。"]}
    assert not CaseDelivery.objects.exists()


def test_express_only_where_the_item_offers_it(hall, leader):
    case = granted(hall, leader)
    ItemVersion.objects.filter(pk=hall.version.pk).update(express_delivery=False)
    case.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        express(hall, case)

    assert error.value.message_dict == {"method": ["该事项不支持邮寄送达，请选择窗口领取。"]}
    assert not CaseDelivery.objects.exists()


def test_applicant_may_switch_from_pickup_to_express_before_delivery(hall, leader):
    case = granted(hall, leader)
    case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)

    delivery = express(hall, case)

    assert (delivery.method, delivery.address, delivery.recipient) == ("express", ADDRESS["address"], "李四")
    assert CaseDelivery.objects.count() == 1


def test_denied_case_has_nothing_to_deliver(hall, leader):
    case = denied(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)

    assert error.value.messages == ["只有准予许可的办件需要选择送达方式。"]


def test_undecided_case_cannot_choose_delivery(hall):
    case = online_case(hall)

    with pytest.raises(ValidationError) as error:
        case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)

    assert error.value.messages == ["办件当前状态为“待受理”，不能选择送达方式。"]


@pytest.mark.parametrize("who", ["other_enterprise", "citizen", "outsider"])
def test_strangers_cannot_choose_delivery(hall, leader, who):
    case = granted(hall, leader)

    with pytest.raises(ValidationError) as error:
        case_delivery_arrange(actor=getattr(hall, who), case=case, method=DeliveryMethod.PICKUP)

    assert error.value.messages == ["您无权为该办件选择送达方式。"]


def test_unknown_method_is_refused(hall, leader):
    case = granted(hall, leader)
    with pytest.raises(ValidationError) as error:
        case_delivery_arrange(actor=hall.enterprise, case=case, method="drone")
    assert error.value.message_dict == {"method": ["请选择窗口领取或邮寄送达。"]}


# ---------------------------------------------------------------- shipping


def test_shipping_tells_the_applicant_the_tracking_number(hall, leader):
    case = granted(hall, leader)
    express(hall, case)

    delivery = case_ship(actor=hall.clerk, case=case, carrier="中国邮政 EMS", tracking_number="1187654321098")

    assert (delivery.state, delivery.carrier, delivery.tracking_number) == (
        DeliveryState.SHIPPED,
        "中国邮政 EMS",
        "1187654321098",
    )
    assert delivery.shipped_by == hall.clerk
    message = Message.objects.get(recipient=hall.enterprise, category=Category.CASE_SHIPPED)
    assert "1187654321098" in message.body and ADDRESS["address"] in message.body
    assert case_timeline(case)[-1].detail == "中国邮政 EMS 1187654321098"


def test_a_pickup_case_cannot_be_shipped(hall, leader):
    case = granted(hall, leader)
    case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)

    with pytest.raises(ValidationError) as error:
        case_ship(actor=hall.clerk, case=case, carrier="EMS", tracking_number="1")

    assert error.value.messages == ["申请人没有选择邮寄送达，不能寄出。"]
    assert CaseDelivery.objects.get().state == DeliveryState.ARRANGED


def test_shipping_twice_is_refused(hall, leader):
    case = granted(hall, leader)
    express(hall, case)
    case_ship(actor=hall.clerk, case=case, carrier="EMS", tracking_number="1187654321098")

    with pytest.raises(ValidationError) as error:
        case_ship(actor=hall.clerk, case=case, carrier="顺丰速运", tracking_number="SF1")

    assert error.value.messages == ["办理结果已寄出，不能重复寄出。"]
    assert CaseDelivery.objects.get().tracking_number == "1187654321098"


def test_shipping_waits_for_the_certificate(hall, leader):
    map_food(hall)
    case = granted(hall, leader)
    express(hall, case)

    with pytest.raises(ValidationError) as error:
        case_ship(actor=hall.clerk, case=case, carrier="EMS", tracking_number="1")

    assert error.value.messages == ["证照尚未签发。"]


def test_shipping_needs_carrier_and_tracking_number(hall, leader):
    case = granted(hall, leader)
    express(hall, case)
    with pytest.raises(ValidationError) as error:
        case_ship(actor=hall.clerk, case=case, carrier="EMS", tracking_number=" ")
    assert error.value.message_dict == {"tracking_number": ["请填写运单号。"]}


def test_applicant_cannot_ship(hall, leader):
    case = granted(hall, leader)
    express(hall, case)
    with pytest.raises(ValidationError) as error:
        case_ship(actor=hall.enterprise, case=case, carrier="EMS", tracking_number="1")
    assert error.value.messages == ["您无权办理该办件的送达。"]


def test_changing_the_method_after_shipping_is_refused(hall, leader):
    case = granted(hall, leader)
    express(hall, case)
    case_ship(actor=hall.clerk, case=case, carrier="EMS", tracking_number="1")

    with pytest.raises(ValidationError) as error:
        case_delivery_arrange(actor=hall.enterprise, case=case, method=DeliveryMethod.PICKUP)

    assert error.value.messages == ["办理结果已寄出，不能再更改送达方式。"]
    assert CaseDelivery.objects.get().method == DeliveryMethod.EXPRESS


# ---------------------------------------------------------------- handing over


def test_hand_over_at_the_window_without_a_prior_choice(hall, leader):
    case = granted(hall, leader)

    delivery = case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=True)

    assert (delivery.method, delivery.state, delivery.handed_over_to, delivery.id_checked) == (
        DeliveryMethod.PICKUP,
        DeliveryState.HANDED_OVER,
        "李四",
        True,
    )
    assert actions(case)[-1] == "cases.handed_over"
    assert case_timeline(case)[-1].label == "办理结果已领取"


def test_hand_over_twice_is_refused(hall, leader):
    case = granted(hall, leader)
    case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=True)

    with pytest.raises(ValidationError) as error:
        case_hand_over(actor=hall.clerk, case=case, recipient_name="王五", id_checked=True)

    at = timezone.localtime(CaseDelivery.objects.get().handed_over_at).strftime("%Y-%m-%d %H:%M")
    assert error.value.messages == [f"办理结果已于 {at} 领取，不能重复领取。"]
    assert CaseDelivery.objects.get().handed_over_to == "李四"


def test_hand_over_needs_the_identity_checked(hall, leader):
    case = granted(hall, leader)
    with pytest.raises(ValidationError) as error:
        case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=False)
    assert error.value.message_dict == {"id_checked": ["请先核验领取人的身份证件。"]}
    assert not CaseDelivery.objects.exists()


def test_express_case_is_not_handed_over(hall, leader):
    case = granted(hall, leader)
    express(hall, case)
    with pytest.raises(ValidationError) as error:
        case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=True)
    assert error.value.messages == ["申请人选择了邮寄送达，不能在窗口领取；如需改为窗口领取，请先更改送达方式。"]


def test_hand_over_waits_for_the_certificate_and_the_fees(hall, leader, monkeypatch):
    map_food(hall)
    case = granted(hall, leader)
    with pytest.raises(ValidationError) as error:
        case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=True)
    assert error.value.messages == ["证照尚未签发。"]

    case_certificate_issue(actor=hall.handler, case=case)
    monkeypatch.setattr("zhengwu.cases.domain._outcome.case_fees_settled", lambda *, case: False)
    with pytest.raises(ValidationError) as error:
        case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=True)
    assert error.value.messages == ["办件尚有未缴清的费用。"]
    assert not CaseDelivery.objects.exists()


def test_denied_case_is_not_handed_over(hall, leader):
    case = denied(hall, leader)
    with pytest.raises(ValidationError) as error:
        case_hand_over(actor=hall.clerk, case=case, recipient_name="李四", id_checked=True)
    assert error.value.messages == ["不予许可的办件没有需要送达的证照。"]


def test_the_station_agent_who_filed_the_case_may_choose_for_the_applicant(hall, leader):
    case = case_submit_by_proxy(
        agent=hall.agent,
        applicant=hall.enterprise,
        item_version=hall.version,
        materials=hall.full_materials(),
        consent_text="委托代办员代为申请并选择送达方式。",
    )
    case = decide(hall, case, leader)

    delivery = case_delivery_arrange(actor=hall.agent, case=case, method=DeliveryMethod.EXPRESS, **ADDRESS)

    assert (delivery.method, delivery.arranged_by) == (DeliveryMethod.EXPRESS, hall.agent)
