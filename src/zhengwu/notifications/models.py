"""In-app messages and their deliveries through each channel (see docs/adr/0010-notifications.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.notifications.enums import Category, Channel, DeliveryState

# A delivery is tried at most this many times; after the last failure it stays failed and a warning is logged.
MAX_ATTEMPTS = 3


class Message(models.Model):
    """One notice to one user. It is the in-app message itself; deliveries carry it to SMS and email. A message
    with no recipient went to a bare phone number (someone without an account, `notify_phone`): it has its SMS
    delivery only and is in no inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_messages",
        db_index=False,  # served by notif_message_recipient_read
        help_text=_("为空表示发给未注册账户的手机号码（仅短信）。"),
    )
    # A code from enums.Category, validated by notify(); no `choices` here, so a new category needs no migration.
    category = models.CharField(_("类别"), max_length=64)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True, help_text=_("站内相对地址，如 /cases/1/"))
    in_inbox = models.BooleanField(_("显示在消息中心"), default=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("触发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_message_recipient_read")]
        constraints = [
            # a message in an inbox belongs to someone
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | Q(in_inbox=False), name="notif_message_inbox_recipient"
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def category_label(self) -> str:
        return Category(self.category).label if self.category in Category.values else self.category


class Delivery(models.Model):
    """One message through one channel to one address (phone number or e-mail address, as given)."""

    message = models.ForeignKey(Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("地址"), max_length=254, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    provider_reference = models.CharField(_("服务商回执号"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        indexes = [models.Index(fields=["state"], name="notif_delivery_state")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_state_display()}"
