from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from zhengwu.accounts.domain import role_grant, role_revoke, staff_create, staff_create_validate
from zhengwu.accounts.domain.identity import mask_id_number, mask_phone
from zhengwu.accounts.enums import Role, UserKind
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile, LoginFailure, StaffProfile, User
from zhengwu.audit.admin import AuditedModelAdmin
from zhengwu.audit.domain import audit_record, audited_atomic

_USER_SUMMARY_FIELDS = ("username", "kind", "display_name", "is_active", "is_staff", "is_superuser")


def _user_summary(user: User) -> dict:
    summary = {field: getattr(user, field) for field in _USER_SUMMARY_FIELDS}
    summary["phone"] = mask_phone(user.phone)
    if user.kind == UserKind.CITIZEN:
        summary["username"] = mask_phone(user.username)
    return summary


def _user_delete(request, user: User) -> None:
    """Delete an account with its profile; the audit keeps masked identifiers, never the password hash."""
    with audited_atomic():
        audit_record(actor=request.user, action="accounts.user.deleted", obj=user, before=_user_summary(user))
        user.delete()


class _PublicProfileAdmin(AuditedModelAdmin):
    """Profiles come from self-registration; deleting one deletes the whole account."""

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        _user_delete(request, obj.user)


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("账户信息"), {"fields": ("kind", "display_name", "phone", "email")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "kind", "display_name", "phone", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("login_name", "display_name", "kind", "masked_phone", "is_active", "is_staff", "date_joined")
    list_filter = ("kind", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "phone")
    ordering = ("-date_joined",)
    list_per_page = 50

    @admin.display(description=_("登录名"), ordering="username")
    def login_name(self, obj: User) -> str:
        # A citizen's username is their mobile number: mask it like the phone.
        return mask_phone(obj.username) if obj.kind == UserKind.CITIZEN else obj.username

    @admin.display(description=_("手机号码"), ordering="phone")
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def delete_model(self, request, obj):
        _user_delete(request, obj)

    def user_change_password(self, request, id, form_url=""):
        with audited_atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, id)
                audit_record(
                    actor=request.user,
                    action="accounts.user.password_changed",
                    obj=user,
                    after={"usable_password": user.has_usable_password()},
                )
        return response


@admin.register(CitizenProfile)
class CitizenProfileAdmin(_PublicProfileAdmin):
    """Citizens register themselves; here an administrator may correct the name, or delete the account."""

    list_display = ("real_name", "id_type", "masked_id", "masked_phone", "date_joined")
    list_select_related = ("user",)
    list_filter = ("id_type",)
    search_fields = ("real_name", "user__phone", "=id_number")
    fields = ("user", "real_name", "id_type", "masked_id")
    readonly_fields = ("user", "id_type", "masked_id")
    list_per_page = 50

    @admin.display(description=_("证件号码"))
    def masked_id(self, obj: CitizenProfile) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj: CitizenProfile) -> str:
        return mask_phone(obj.user.phone)

    @admin.display(description=_("注册时间"), ordering="user__date_joined")
    def date_joined(self, obj: CitizenProfile):
        return obj.user.date_joined


@admin.register(EnterpriseProfile)
class EnterpriseProfileAdmin(_PublicProfileAdmin):
    """Legal persons register themselves; an administrator may correct name, representative and address."""

    list_display = ("name", "credit_code", "legal_representative", "masked_phone", "date_joined")
    list_select_related = ("user",)
    search_fields = ("name", "credit_code", "legal_representative", "user__phone")
    fields = ("user", "name", "credit_code", "legal_representative", "address")
    readonly_fields = ("user", "credit_code")
    list_per_page = 50

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj: EnterpriseProfile) -> str:
        return mask_phone(obj.user.phone)

    @admin.display(description=_("注册时间"), ordering="user__date_joined")
    def date_joined(self, obj: EnterpriseProfile):
        return obj.user.date_joined


class _RolesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("角色"),
            choices=Role.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )


class StaffProfileChangeForm(forms.ModelForm):
    roles = _RolesField()

    class Meta:
        model = StaffProfile
        fields = ("department", "section", "position", "window", "employee_number")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = sorted(self.instance.user.role_assignments.values_list("role", flat=True))


class StaffProfileAddForm(forms.ModelForm):
    """New staff member: account and profile together, created by the staff_create domain function."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=100)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    password = forms.CharField(
        label=_("初始密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("留空则账户暂不能登录，须另行设置密码。"),
    )
    roles = _RolesField()

    class Meta:
        model = StaffProfile
        fields = ("department", "section", "position", "window", "employee_number")

    def domain_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "username": data.get("username") or "",
            "display_name": data.get("display_name") or "",
            "department": data.get("department"),
            "section": data.get("section"),
            "position": data.get("position"),
            "window": data.get("window"),
            "employee_number": data.get("employee_number") or "",
            "phone": data.get("phone") or "",
            "password": data.get("password") or None,
            "roles": tuple(data.get("roles") or ()),
        }

    def clean(self):
        cleaned = super().clean()
        try:
            staff_create_validate(**self.domain_kwargs())
        except ValidationError as exc:
            for field, errors in exc.update_error_dict({}).items():
                if field in self._errors:
                    continue
                for error in errors:
                    self.add_error(field if field in self.fields else None, error)
        return cleaned

    def validate_unique(self):
        pass  # the domain function checks uniqueness (and the profile has no user yet)

    def _post_clean(self):
        # Fill the instance for the admin's messages, but skip its full_clean(): it has no user yet and
        # staff_create_validate makes the same checks.
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedModelAdmin):
    list_display = ("user", "employee_number", "department", "section", "position", "window", "role_list")
    list_select_related = ("user", "department", "section__department", "position__department", "window__hall")
    list_filter = ("department",)
    search_fields = ("user__display_name", "user__username", "user__phone", "employee_number")
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("user__role_assignments")

    @admin.display(description=_("角色"))
    def role_list(self, obj: StaffProfile) -> str:
        held = {assignment.role for assignment in obj.user.role_assignments.all()}
        return "、".join(str(role.label) for role in Role if role in held)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = StaffProfileChangeForm if obj is not None else StaffProfileAddForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (_("账户"), {"fields": ("username", "display_name", "phone", "password")}),
                (_("工作信息"), {"fields": ("department", "section", "position", "window", "employee_number")}),
                (_("角色"), {"fields": ("roles",)}),
            ]
        return [
            (_("工作信息"), {"fields": ("department", "section", "position", "window", "employee_number")}),
            (_("角色"), {"fields": ("roles",)}),
        ]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        user = staff_create(actor=request.user, **form.domain_kwargs())
        profile = user.staff
        obj.pk, obj.user = profile.pk, user
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            return
        user = form.instance.user
        held = set(user.role_assignments.values_list("role", flat=True))
        wanted = set(form.cleaned_data.get("roles") or ())
        for role in sorted(wanted - held):
            role_grant(actor=request.user, user=user, role=role)
        for role in sorted(held - wanted):
            try:
                role_revoke(actor=request.user, user=user, role=role)
            except ValidationError as exc:
                messages.warning(request, "；".join(exc.messages))


@admin.register(LoginFailure)
class LoginFailureAdmin(AuditedModelAdmin):
    """Failed logins; deleting an account's rows lifts its throttle early."""

    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")
    date_hierarchy = "at"
    readonly_fields = ("username", "ip", "at")
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
