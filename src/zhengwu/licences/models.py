import re

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.enums import UserKind
from zhengwu.licences.enums import LicenceState, LicenceStatus, LicenceTemplate, SigningKeyKind

FIELD_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TYPE_CODE_RE = r"^[A-Z][A-Z0-9]{1,9}$"


class LicenceType(models.Model):
    """A kind of certificate a department issues (食品经营许可证, 个体工商户营业执照 …)."""

    code = models.CharField(
        _("证照类型代码"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(TYPE_CODE_RE, _("代码应为 2 至 10 位大写字母或数字，以字母开头。"))],
        help_text=_("证照编号的前缀，例如 SPJY。"),
    )
    name = models.CharField(_("证照名称"), max_length=100, unique=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("发证部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence_types",
    )
    validity_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("留空表示长期有效。")
    )
    fields = models.JSONField(
        _("证面信息项"),
        default=list,
        blank=True,
        help_text=_('JSON 列表，例如 [{"key": "address", "label": "经营场所"}]；可加 "required": false 表示选填。'),
    )
    holder_label = models.CharField(_("持证人称谓"), max_length=20, default="持证人")
    for_natural_persons = models.BooleanField(_("发给自然人"), default=False)
    for_legal_persons = models.BooleanField(_("发给法人"), default=True)
    template_name = models.CharField(
        _("版式"), max_length=30, choices=LicenceTemplate.choices, default=LicenceTemplate.STANDARD
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        problem = licence_fields_error(self.fields)
        if problem:
            errors["fields"] = problem
        if not (self.for_natural_persons or self.for_legal_persons):
            errors["for_legal_persons"] = _("至少选择一类发证对象（自然人或法人）。")
        if errors:
            raise ValidationError(errors)

    @property
    def holder_kinds(self) -> frozenset[str]:
        kinds = set()
        if self.for_natural_persons:
            kinds.add(UserKind.CITIZEN)
        if self.for_legal_persons:
            kinds.add(UserKind.ENTERPRISE)
        return frozenset(kinds)


def licence_fields_error(fields) -> str | None:
    """Why a type's field list is malformed (a Chinese message), or None."""
    if not isinstance(fields, list):
        return _("证面信息项应为 JSON 列表。")
    keys = set()
    for index, spec in enumerate(fields, start=1):
        if not isinstance(spec, dict) or not set(spec) <= {"key", "label", "required"}:
            return _("第 %(n)d 项应为包含 key、label（可选 required）的对象。") % {"n": index}
        key, label = spec.get("key"), spec.get("label")
        if not isinstance(key, str) or not FIELD_KEY_RE.match(key):
            return _("第 %(n)d 项的 key 应为小写英文字母开头的字母、数字或下划线。") % {"n": index}
        if not isinstance(label, str) or not label.strip() or len(label) > 30:
            return _("第 %(n)d 项的 label 不能为空，且不超过 30 个字。") % {"n": index}
        if "required" in spec and not isinstance(spec["required"], bool):
            return _("第 %(n)d 项的 required 应为 true 或 false。") % {"n": index}
        if key in keys:
            return _("信息项 key “%(key)s”重复。") % {"key": key}
        keys.add(key)
    return None


def licence_upload_to(instance: "Licence", filename: str) -> str:
    return f"licences/{timezone.localdate(instance.issued_at).year}/{filename}"


class Licence(models.Model):
    """An issued electronic licence (电子证照): a signed PDF kept in its holder's library."""

    number = models.CharField(_("证照编号"), max_length=40, unique=True)
    licence_type = models.ForeignKey(
        LicenceType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="licences"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("持证人账户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # a closed account does not void what was issued
        related_name="licences",
    )
    holder_kind = models.CharField(_("持证人类型"), max_length=16, choices=UserKind.choices)
    holder_name = models.CharField(_("持证人名称"), max_length=150)
    # Not "holder_id": that is the holder foreign key's column.
    holder_id_number = models.CharField(_("证件号码/统一社会信用代码"), max_length=30)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("发证部门"), on_delete=models.PROTECT, related_name="licences"
    )
    issued_at = models.DateTimeField(_("签发时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    data = models.JSONField(_("证面信息"), default=dict, blank=True)
    pdf = models.FileField(_("证照文件"), upload_to=licence_upload_to, max_length=200)
    pdf_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    signer_fingerprint = models.CharField(_("签名证书指纹（SHA-256）"), max_length=64)
    state = models.CharField(_("状态"), max_length=16, choices=LicenceState.choices, default=LicenceState.VALID)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revocation_reason = models.TextField(_("撤销原因"), blank=True)
    token = models.CharField(_("核验码"), max_length=64, unique=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("来源类型"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("来源编号"), max_length=64, blank=True)
    source = GenericForeignKey("content_type", "object_id")

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["holder", "-issued_at"], name="licences_holder_issued_idx"),
            models.Index(fields=["content_type", "object_id"], name="licences_source_idx"),
            models.Index(fields=["department", "-issued_at"], name="licences_dept_issued_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=LicenceState.VALID, revoked_at__isnull=True)
                | Q(state=LicenceState.REVOKED, revoked_at__isnull=False),
                name="licences_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.number}"

    def status(self, today=None) -> str:
        """Stored state with expiry derived from valid_until (LicenceStatus)."""
        if self.state == LicenceState.REVOKED:
            return LicenceStatus.REVOKED
        if self.valid_until is not None and self.valid_until < (today or timezone.localdate()):
            return LicenceStatus.EXPIRED
        return LicenceStatus.VALID

    def get_status_display(self) -> str:
        return LicenceStatus(self.status()).label

    @property
    def masked_holder_name(self) -> str:
        from zhengwu.accounts.domain.identity import mask_name

        return mask_name(self.holder_name) if self.holder_kind == UserKind.CITIZEN else self.holder_name

    @property
    def masked_holder_id(self) -> str:
        from zhengwu.accounts.domain.identity import mask_id_number

        return mask_id_number(self.holder_id_number)


class LicenceCounter(models.Model):
    """Last serial used per licence type and year; its row lock serialises number allocation."""

    licence_type = models.ForeignKey(LicenceType, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("证照编号计数器")
        verbose_name_plural = _("证照编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["licence_type", "year"], name="licences_counter_unique_type_year")
        ]

    def __str__(self) -> str:
        return f"{self.licence_type_id}/{self.year}: {self.last_serial}"


class SigningKey(models.Model):
    """The platform root CA, or one department's signing certificate; the private key is stored encrypted."""

    kind = models.CharField(_("类型"), max_length=16, choices=SigningKeyKind.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
    )
    issuer = models.ForeignKey(
        "self", verbose_name=_("签发者"), null=True, blank=True, on_delete=models.PROTECT, related_name="issued"
    )
    subject = models.CharField(_("证书主题"), max_length=300)
    certificate_pem = models.TextField(_("证书（PEM）"))
    encrypted_key_pem = models.TextField(_("加密私钥（PEM）"))
    fingerprint = models.CharField(_("证书指纹（SHA-256）"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    not_after = models.DateTimeField(_("有效期至"))
    is_current = models.BooleanField(_("当前使用"), default=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        ordering = ["kind", "department", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=SigningKeyKind.ROOT, department__isnull=True)
                | Q(kind=SigningKeyKind.DEPARTMENT, department__isnull=False),
                name="licences_signingkey_kind_department",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind=SigningKeyKind.ROOT, is_current=True),
                name="licences_one_current_root",
            ),
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(kind=SigningKeyKind.DEPARTMENT, is_current=True),
                name="licences_one_current_department_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.subject}"
