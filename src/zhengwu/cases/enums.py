from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.enums import IdType


class CaseState(models.TextChoices):
    """The whole lifecycle of a case (办件). Later states are driven by processing, fees and delivery."""

    SUBMITTED = "submitted", _("待受理")
    CORRECTION_REQUESTED = "correction_requested", _("待补正")
    ACCEPTED = "accepted", _("已受理")
    REFUSED = "refused", _("不予受理")
    IN_PROGRESS = "in_progress", _("办理中")
    SUSPENDED = "suspended", _("挂起")
    DECIDED = "decided", _("已决定")
    COMPLETED = "completed", _("办结")
    WITHDRAWN = "withdrawn", _("已撤回")


# Not yet accepted: staff decide on SUBMITTED cases; CORRECTION_REQUESTED cases wait for the applicant.
AWAITING_ACCEPTANCE = frozenset({CaseState.SUBMITTED, CaseState.CORRECTION_REQUESTED})
TERMINAL_STATES = frozenset({CaseState.REFUSED, CaseState.COMPLETED, CaseState.WITHDRAWN})
OPEN_STATES = frozenset(set(CaseState) - TERMINAL_STATES)


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申报")
    WINDOW = "window", _("窗口登记")
    PROXY = "proxy", _("代办")


class ApiRateScope(models.TextChoices):
    """What a departmental-systems API rate window counts (ADR 0018 "Rate limits")."""

    SYSTEM = "system", _("接入密钥的请求")
    FAILED_AUTH = "failed_auth", _("同一地址的认证失败")
    LOOKUP_FAILURE = "lookup_failure", _("同一地址的办件查询失败")


# Windows that count one client address's failures: purged as soon as they end.
FAILURE_RATE_SCOPES = frozenset({ApiRateScope.FAILED_AUTH, ApiRateScope.LOOKUP_FAILURE})


class ApplicantKind(models.TextChoices):
    NATURAL = "natural", _("自然人")
    LEGAL = "legal", _("法人")


class ApplicantIdType(models.TextChoices):
    """A natural person's identity document, or a legal person's 统一社会信用代码."""

    RESIDENT_ID = IdType.RESIDENT_ID.value, IdType.RESIDENT_ID.label
    HK_MACAO_PERMIT = IdType.HK_MACAO_PERMIT.value, IdType.HK_MACAO_PERMIT.label
    TAIWAN_PERMIT = IdType.TAIWAN_PERMIT.value, IdType.TAIWAN_PERMIT.label
    PASSPORT = IdType.PASSPORT.value, IdType.PASSPORT.label
    FOREIGNER_PR = IdType.FOREIGNER_PR.value, IdType.FOREIGNER_PR.label
    CREDIT_CODE = "credit_code", _("统一社会信用代码")


class MaterialStatus(models.TextChoices):
    PROVIDED = "provided", _("已提交")
    MISSING = "missing", _("缺少")
    DEFECTIVE = "defective", _("需补正")


class FileKind(models.TextChoices):
    """Accepted upload types, recognised by their content (magic bytes), not their name."""

    PDF = "application/pdf", "PDF"
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"
    OFD = "application/ofd", "OFD"


# File name extensions allowed for each kind.
FILE_EXTENSIONS: dict[str, frozenset[str]] = {
    FileKind.PDF: frozenset({"pdf"}),
    FileKind.JPEG: frozenset({"jpg", "jpeg"}),
    FileKind.PNG: frozenset({"png"}),
    FileKind.DOCX: frozenset({"docx"}),
    FileKind.XLSX: frozenset({"xlsx"}),
    FileKind.OFD: frozenset({"ofd"}),
}


class DecisionOutcome(models.TextChoices):
    """The decision on an accepted case; a denial is a negative decision filed to supervision (否定报备)."""

    GRANT = "grant", _("准予许可")
    DENY = "deny", _("不予许可")


class DeliveryMethod(models.TextChoices):
    """How the result (证照、决定书) reaches the applicant."""

    PICKUP = "pickup", _("窗口领取")
    EXPRESS = "express", _("邮寄送达")


class DeliveryState(models.TextChoices):
    ARRANGED = "arranged", _("待送达")
    SHIPPED = "shipped", _("已寄出")
    HANDED_OVER = "handed_over", _("已领取")


# Delivery finished: the result has left the department (shipped) or was handed over at the window.
DELIVERED_STATES = frozenset({DeliveryState.SHIPPED, DeliveryState.HANDED_OVER})


class FeeNoticeState(models.TextChoices):
    """A fee notice (缴费通知): issued by the department, paid at the unified fee window or online (票款分离)."""

    ISSUED = "issued", _("待缴费")
    PAID = "paid", _("已缴费")
    PARTIALLY_REFUNDED = "partially_refunded", _("已部分退费")
    REFUNDED = "refunded", _("已全额退费")
    CANCELLED = "cancelled", _("已作废")


# Notices whose money was received (and may be refunded).
FEE_PAID_STATES = frozenset({FeeNoticeState.PAID, FeeNoticeState.PARTIALLY_REFUNDED, FeeNoticeState.REFUNDED})


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金（统一收费窗口）")
    CARD = "card", _("刷卡（统一收费窗口）")
    ONLINE = "online", _("网上支付")


WINDOW_PAYMENT_METHODS = frozenset({PaymentMethod.CASH, PaymentMethod.CARD})


class PaymentAttemptState(models.TextChoices):
    """An online payment through a provider that confirms later (ADR 0014, "Asynchronous providers")."""

    STARTED = "started", _("支付处理中")
    PAID = "paid", _("已支付")
    FAILED = "failed", _("支付未成功")
    EXPIRED = "expired", _("已超时")
    # The provider took the money but the notice could no longer be paid (paid at the window, cancelled): the
    # fee window sees these on the notice page and returns the money through the provider (→ returned).
    UNRECORDED = "unrecorded", _("已付款未入账")
    # Unrecorded money given back to the payer through the provider (`fee_payment_attempt_return`).
    RETURNED = "returned", _("已退回")


class SimulatedOrderState(models.TextChoices):
    """An order in the simulated payment platform's own ledger (`SimulatedGatewayOrder`; development and tests)."""

    OPEN = "open", _("待支付")
    PAID = "paid", _("已支付")
    CLOSED = "closed", _("已关闭")


# States a paid notification may still turn into a payment: money received is recorded whenever the notice can
# still take it, even after the attempt timed out here or was reported failed.
PAYMENT_ATTEMPT_PAYABLE_STATES = frozenset(
    {PaymentAttemptState.STARTED, PaymentAttemptState.EXPIRED, PaymentAttemptState.FAILED}
)


class FeeRefundRequestState(models.TextChoices):
    """A refund (退费) asked by the unified fee window, awaiting or after a leader's approval (退费审批)."""

    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准（已退费）")
    REJECTED = "rejected", _("不予退费")
    WITHDRAWN = "withdrawn", _("已撤回")


# A request still awaiting a decision; its amount is held back from what may be refunded.
FEE_REFUND_OPEN_STATES = frozenset({FeeRefundRequestState.REQUESTED})
# Decided or withdrawn: nothing more happens to the request.
FEE_REFUND_TERMINAL_STATES = frozenset(set(FeeRefundRequestState) - FEE_REFUND_OPEN_STATES)


class ExtensionState(models.TextChoices):
    """An extension of the handling period (《行政许可法》第四十二条) awaiting or after the leader's decision."""

    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予批准")


# Extensions a case may have approved: the licensing law allows one (第四十二条).
MAX_APPROVED_EXTENSIONS = 1
# Without a statutory preset on the handling clock, an extension is at most this many days (第四十二条).
DEFAULT_EXTENSION_DAYS = 10
