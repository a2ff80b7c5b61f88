from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.enums import PUBLIC_KINDS, IdType, Role, UserKind


class UserManager(DjangoUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("kind", UserKind.STAFF)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """One account for every subsystem; `kind` says which profile it carries."""

    kind = models.CharField(_("账户类型"), max_length=16, choices=UserKind.choices)
    display_name = models.CharField(_("姓名/名称"), max_length=100, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True, db_index=True)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # A phone logs in to exactly one public account (staff may share theirs with their own citizen account).
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(kind__in=sorted(PUBLIC_KINDS)) & ~models.Q(phone=""),
                name="accounts_user_unique_public_phone",
                violation_error_message=_("该手机号码已被其他公众账户使用。"),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def masked_phone(self) -> str:
        from zhengwu.accounts.domain.identity import mask_phone

        return mask_phone(self.phone)


class CitizenProfile(models.Model):
    """自然人."""

    user = models.OneToOneField(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="citizen")
    real_name = models.CharField(_("真实姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = models.CharField(_("证件号码"), max_length=30)

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")
        constraints = [models.UniqueConstraint(fields=["id_type", "id_number"], name="accounts_citizen_unique_id")]

    def __str__(self) -> str:
        return f"{self.real_name}（{self.masked_id_number}）"

    @property
    def masked_id_number(self) -> str:
        from zhengwu.accounts.domain.identity import mask_id_number

        return mask_id_number(self.id_number)


class EnterpriseProfile(models.Model):
    """法人或其他组织."""

    user = models.OneToOneField(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="enterprise")
    name = models.CharField(_("单位名称"), max_length=150)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    address = models.CharField(_("住所"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("法人")
        verbose_name_plural = _("法人")

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    user = models.OneToOneField(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="staff")
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="staff"
    )
    section = models.ForeignKey(
        "org.Section",
        verbose_name=_("科室"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    position = models.ForeignKey(
        "org.Position",
        verbose_name=_("岗位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="holders",
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name=_("所在窗口"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    employee_number = models.CharField(_("工号"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return f"{self.user}（{self.department}）"

    def clean(self):
        errors = {}
        if self.department_id and self.section_id and self.section.department_id != self.department_id:
            errors["section"] = _("科室必须属于所在部门。")
        if self.department_id and self.position_id and self.position.department_id != self.department_id:
            errors["position"] = _("岗位必须属于所在部门。")
        if self.user_id and self.user.kind != UserKind.STAFF:
            errors["user"] = _("只有工作人员账户可以设置工作人员信息。")
        if errors:
            raise ValidationError(errors)


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="accounts_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class LoginFailure(models.Model):
    """Failed logins, for throttling by username and by client address."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        indexes = [
            models.Index(fields=["username", "at"], name="accounts_loginfail_name_at"),
            models.Index(fields=["ip", "at"], name="accounts_loginfail_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M:%S}"
