"""citizen_register and enterprise_register: happy paths, every bad input, duplicates, and what the audit keeps."""

import pytest
from django.core.exceptions import ValidationError

from tests.accounts.factories import PASSWORD, credit_code, make_citizen, make_enterprise, make_staff, resident_id
from zhengwu.accounts.domain import citizen_register, enterprise_register
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile, User
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def citizen_input(**overrides) -> dict:
    return {
        "real_name": "张三",
        "id_type": "resident_id",
        "id_number": resident_id(),
        "phone": "13812345678",
        "password": PASSWORD,
    } | overrides


def enterprise_input(**overrides) -> dict:
    return {
        "name": "示范科技有限公司",
        "credit_code": credit_code(),
        "legal_representative": "李四",
        "phone": "13912345678",
        "password": PASSWORD,
    } | overrides


def errors_of(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_citizen_register_creates_account_profile_and_one_audit_event():
    number = resident_id()

    user = citizen_register(**citizen_input(id_number=number.lower(), phone="+86 138-1234-5678"))

    user.refresh_from_db()
    assert (user.username, user.kind, user.display_name, user.phone) == (
        "13812345678",
        "citizen",
        "张三",
        "13812345678",
    )
    assert user.check_password(PASSWORD)
    assert not user.is_staff and not user.is_superuser
    profile = user.citizen
    assert (profile.real_name, profile.id_type, profile.id_number) == ("张三", "resident_id", number)
    event = AuditEvent.objects.get()
    assert event.action == "accounts.citizen_registered"
    assert (event.actor_id, event.object_type, event.object_id) == (user.pk, "accounts.user", str(user.pk))
    assert event.after == {
        "kind": "citizen",
        "real_name": "张*",
        "id_type": "resident_id",
        "id_number": number[:3] + "*" * 11 + number[-4:],
        "phone": "138****5678",
    }
    assert audit_verify() is None


def test_citizen_audit_never_holds_the_full_id_number_or_password():
    number = resident_id()
    citizen_register(**citizen_input(id_number=number))

    stored = str(AuditEvent.objects.values_list("before", "after", "object_repr", "actor_repr").get())
    assert number not in stored
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"real_name": ""}, "real_name", "请填写真实姓名。"),
        ({"real_name": "   "}, "real_name", "请填写真实姓名。"),
        ({"real_name": "张三3"}, "real_name", "真实姓名不能包含数字。"),
        ({"real_name": "张" * 51}, "real_name", "真实姓名不能超过50个字符。"),
        ({"id_type": "driving_licence"}, "id_type", "请选择有效的证件类型。"),
        ({"id_number": ""}, "id_number", "请填写证件号码。"),
        ({"id_number": "1234"}, "id_number", "居民身份证号码应为18位，前17位为数字，最后一位为数字或X。"),
        (
            {"id_number": resident_id("33010219900230123")},
            "id_number",
            "居民身份证号码中的出生日期无效。",
        ),
        ({"id_number": resident_id()[:17] + "X"}, "id_number", "居民身份证号码校验位不正确，请核对后重新输入。"),
        ({"id_type": "passport", "id_number": "E1"}, "id_number", "证件号码格式不正确，请按证件上的号码填写。"),
        ({"phone": ""}, "phone", "请填写手机号码。"),
        ({"phone": "12812345678"}, "phone", "请输入11位中国大陆手机号码。"),
        ({"phone": "1381234567"}, "phone", "请输入11位中国大陆手机号码。"),
        ({"password": ""}, "password", "请设置密码。"),
        ({"password": "Ab1-x"}, "password", "密码长度太短，至少需要8个字符。"),
        ({"password": "password1"}, "password", "这个密码太常见，容易被猜中，请换一个。"),
        ({"password": "83749261530"}, "password", "密码不能全部是数字。"),
        ({"password": "13812345678"}, "password", "密码与用户名、手机号码或姓名太相似。"),
        ({"password": "zw13812345678"}, "password", "密码与用户名、手机号码或姓名太相似。"),
    ],
)
def test_bad_citizen_input_gives_a_chinese_field_error_and_creates_nothing(overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        citizen_register(**citizen_input(**overrides))

    assert message in errors_of(exc)[field]
    assert User.objects.count() == 0
    assert CitizenProfile.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_every_citizen_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        citizen_register(real_name="", id_type="resident_id", id_number="1", phone="1", password="")

    assert sorted(errors_of(exc)) == ["id_number", "password", "phone", "real_name"]


def test_duplicate_citizen_phone_is_refused():
    make_citizen(phone="13812345678")

    with pytest.raises(ValidationError) as exc:
        citizen_register(**citizen_input(id_number=resident_id("33010219900307456"), phone="13812345678"))

    assert errors_of(exc) == {"phone": ["该手机号码已注册，请直接登录或使用其他手机号码。"]}
    assert User.objects.count() == 1


def test_phone_of_an_enterprise_account_cannot_register_a_citizen():
    make_enterprise(phone="13912345678")

    with pytest.raises(ValidationError) as exc:
        citizen_register(**citizen_input(phone="13912345678"))

    assert errors_of(exc) == {"phone": ["该手机号码已注册，请直接登录或使用其他手机号码。"]}


def test_staff_member_may_register_as_a_citizen_with_the_phone_on_their_staff_account():
    make_staff(phone="13812345678")

    user = citizen_register(**citizen_input(phone="13812345678"))

    assert user.username == "13812345678"
    assert User.objects.filter(phone="13812345678").count() == 2


def test_duplicate_id_number_is_refused_even_in_lower_case():
    number = "11010519491231002X"
    make_citizen(phone="13812345678", id_number=number)

    with pytest.raises(ValidationError) as exc:
        citizen_register(**citizen_input(id_number=number.lower(), phone="13912345678"))

    assert errors_of(exc) == {"id_number": ["该证件号码已注册，请直接登录；如忘记密码请联系客服。"]}
    assert User.objects.count() == 1


def test_same_number_under_another_document_type_is_a_different_person():
    make_citizen(id_type="passport", id_number="E12345678", phone="13812345678")

    user = citizen_register(**citizen_input(id_type="hk_macao_permit", id_number="H12345678", phone="13912345678"))

    assert user.citizen.id_number == "H12345678"


def test_enterprise_register_uses_the_upper_case_credit_code_as_username():
    code = credit_code("91330102ma2h3k4l5".upper())

    user = enterprise_register(**enterprise_input(credit_code=" " + code.lower() + " ", name=" 示范科技  有限公司 "))

    user.refresh_from_db()
    assert (user.username, user.kind, user.display_name, user.phone) == (
        code,
        "enterprise",
        "示范科技 有限公司",
        "13912345678",
    )
    assert user.check_password(PASSWORD)
    profile = user.enterprise
    assert (profile.name, profile.credit_code, profile.legal_representative) == ("示范科技 有限公司", code, "李四")
    event = AuditEvent.objects.get()
    assert event.action == "accounts.enterprise_registered"
    assert event.after == {
        "kind": "enterprise",
        "name": "示范科技 有限公司",
        "credit_code": code,
        "legal_representative": "李*",
        "phone": "139****5678",
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "请填写单位名称。"),
        ({"name": "公" * 151}, "name", "单位名称不能超过150个字符。"),
        ({"credit_code": ""}, "credit_code", "请填写统一社会信用代码。"),
        ({"credit_code": "91350100M000100Y4"}, "credit_code", "统一社会信用代码应为18位。"),
        (
            {"credit_code": "91350100M000100I43"},
            "credit_code",
            "统一社会信用代码格式不正确：第3至8位应为数字，字母不使用I、O、Z、S、V。",
        ),
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "统一社会信用代码校验位不正确，请核对后重新输入。"),
        ({"legal_representative": ""}, "legal_representative", "请填写法定代表人姓名。"),
        ({"legal_representative": "李4"}, "legal_representative", "法定代表人姓名不能包含数字。"),
        ({"phone": "2345"}, "phone", "请输入11位中国大陆手机号码。"),
        ({"password": "short"}, "password", "密码长度太短，至少需要8个字符。"),
    ],
)
def test_bad_enterprise_input_gives_a_chinese_field_error_and_creates_nothing(overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        enterprise_register(**enterprise_input(**overrides))

    assert message in errors_of(exc)[field]
    assert User.objects.count() == 0
    assert EnterpriseProfile.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_duplicate_credit_code_is_refused():
    code = credit_code()
    make_enterprise(code=code, phone="13912345678")

    with pytest.raises(ValidationError) as exc:
        enterprise_register(**enterprise_input(credit_code=code.lower(), phone="13712345678"))

    assert errors_of(exc) == {"credit_code": ["该统一社会信用代码已注册，请直接登录。"]}
    assert User.objects.count() == 1


def test_enterprise_cannot_take_a_citizens_phone():
    make_citizen(phone="13812345678")

    with pytest.raises(ValidationError) as exc:
        enterprise_register(**enterprise_input(phone="13812345678"))

    assert errors_of(exc) == {"phone": ["该手机号码已注册，请直接登录或使用其他手机号码。"]}


def test_database_refuses_two_public_accounts_with_one_phone():
    from django.db import IntegrityError, transaction

    make_citizen(phone="13812345678")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="other", kind="enterprise", phone="13812345678")
