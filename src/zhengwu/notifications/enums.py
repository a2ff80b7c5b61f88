from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What a message is about. Add a member here before notifying with a new code."""

    CASE_SUBMITTED = "case.submitted", _("办件收件")
    CASE_ACCEPTED = "case.accepted", _("办件受理")
    CASE_REFUSED = "case.refused", _("不予受理")
    CASE_CORRECTION_NOTICE = "case.correction_notice", _("补正告知")
    CASE_CORRECTION_RECEIVED = "case.correction_received", _("补正材料已收到")
    CASE_SUSPENDED = "case.suspended", _("办件挂起")
    CASE_DECIDED = "case.decided", _("办理决定")
    CASE_RESUMED = "case.resumed", _("办件恢复办理")
    CASE_EXTENSION_REQUESTED = "case.extension_requested", _("延期审批申请")
    CASE_EXTENDED = "case.extended", _("办理期限延长")
    CASE_DEEMED_APPROVED = "case.deemed_approved", _("超时默认许可")
    CASE_FEE_NOTICE = "case.fee_notice", _("缴费通知")
    CASE_FEE_PAID = "case.fee_paid", _("缴费成功")
    CASE_FEE_REFUNDED = "case.fee_refunded", _("退费")
    CASE_FEE_REFUND_REQUESTED = "case.fee_refund_requested", _("退费审批申请")
    CASE_FEE_REFUND_DECIDED = "case.fee_refund_decided", _("退费审批结果")
    CASE_CERTIFICATE_ISSUED = "case.certificate_issued", _("证照已签发")
    CASE_READY_FOR_PICKUP = "case.ready_for_pickup", _("证照待领取")
    CASE_SHIPPED = "case.shipped", _("证照已寄出")
    CASE_COMPLETED = "case.completed", _("办件办结")
    TASK_ASSIGNED = "task.assigned", _("新的待办")
    RATING_FOLLOW_UP = "rating.follow_up", _("差评整改")
    SUPERVISION_ORDER = "supervision.order", _("督办通知")
    SUPERVISION_RECTIFICATION = "supervision.rectification", _("整改报告")
    SUPERVISION_WARNING = "supervision.warning", _("监察预警")
    SUPERVISION_YELLOW_CARD = "supervision.yellow_card", _("监察黄牌")
    SUPERVISION_RED_CARD = "supervision.red_card", _("监察红牌")
    GENERAL = "general", _("系统通知")


class Channel(models.TextChoices):
    INAPP = "inapp", _("站内消息")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


ALL_CHANNELS = (Channel.INAPP, Channel.SMS, Channel.EMAIL)
# Channels that leave the platform and go through a backend (and may fail and be retried).
OUTBOUND_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL})


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")


# States in which nothing more will happen to a delivery (a failed one only once its attempts are used up).
FINAL_STATES = frozenset({DeliveryState.SENT, DeliveryState.SKIPPED})
