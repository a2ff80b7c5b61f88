"""Portal accounts: login, logout, registration and the account page, through HTTP."""

import datetime

import pytest
import time_machine

from tests.accounts.factories import (
    PASSWORD,
    credit_code,
    make_citizen,
    make_department,
    make_enterprise,
    make_staff,
    resident_id,
)
from tests.accounts.pages import field_errors, logged_in_user_id, non_field_errors
from tests.html import assert_page_shell, audit_page
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile, LoginFailure, User
from zhengwu.audit.models import AuditEvent
from zhengwu.org.models import Section

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=datetime.UTC)


# --- login --------------------------------------------------------------------------------------------------------


def test_login_page_has_the_form_in_the_shell(client):
    response = client.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    page = assert_page_shell(html)
    assert "<h1>登录</h1>" in html
    assert "<title>登录 - 政务服务平台</title>" in html
    forms = page.find_all("form", method="post", action="/login/")
    assert forms == [{"method": "post", "action": "/login/", "novalidate": ""}]
    assert [i["name"] for i in page.find_all("input") if i.get("type") != "hidden"] == ["username", "password"]
    assert page.find_all("input", type="hidden", name="csrfmiddlewaretoken")
    assert '<label for="id_username">用户名或手机号码</label>' in html


def test_citizen_logs_in_by_phone_and_lands_on_the_portal(client):
    user = make_citizen(phone="13812345678")

    response = client.post("/login/", {"username": "13812345678", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(user.pk)
    event = AuditEvent.objects.get(action="accounts.login")
    assert (event.actor_id, event.after, event.ip) == (user.pk, {"channel": "portal"}, "127.0.0.1")


def test_staff_member_logs_in_by_username_and_lands_on_the_workbench(client):
    user = make_staff("wangfang", department=make_department())

    response = client.post("/login/", {"username": "wangfang", "password": PASSWORD})

    assert response["Location"] == "/workbench/"
    assert logged_in_user_id(client) == str(user.pk)


def test_staff_member_logs_in_by_phone(client):
    user = make_staff("wangfang", department=make_department(), phone="13700001111")

    response = client.post("/login/", {"username": "13700001111", "password": PASSWORD})

    assert response["Location"] == "/workbench/"
    assert logged_in_user_id(client) == str(user.pk)


def test_enterprise_logs_in_by_credit_code(client):
    code = credit_code()
    user = make_enterprise(code=code)

    response = client.post("/login/", {"username": code.lower(), "password": PASSWORD})

    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(user.pk)


def test_login_follows_a_safe_next_and_ignores_an_unsafe_one(client):
    make_citizen(phone="13812345678")

    safe = client.post("/login/?next=/account/", {"username": "13812345678", "password": PASSWORD})
    client.logout()
    unsafe = client.post(
        "/login/", {"username": "13812345678", "password": PASSWORD, "next": "https://evil.example/steal"}
    )

    assert safe["Location"] == "/account/"
    assert unsafe["Location"] == "/"


def test_login_page_keeps_next_in_the_form(client):
    html = client.get("/login/?next=/account/").content.decode()

    assert '<input type="hidden" name="next" value="/account/">' in html


def test_wrong_password_gives_a_chinese_error_and_is_recorded(client):
    make_citizen(phone="13812345678")

    response = client.post("/login/", {"username": "13812345678", "password": "wrong-password"})

    assert response.status_code == 200
    html = response.content.decode()
    assert non_field_errors(html) == ["用户名（手机号码）或密码不正确，请重新输入。"]
    assert logged_in_user_id(client) is None
    assert list(LoginFailure.objects.values_list("username", "ip")) == [("13812345678", "127.0.0.1")]


def test_empty_login_fields_give_field_errors(client):
    html = client.post("/login/", {"username": "", "password": ""}).content.decode()

    assert field_errors(html, "username") == ["这个字段是必填项。"]
    assert field_errors(html, "password") == ["这个字段是必填项。"]
    assert LoginFailure.objects.count() == 0


def test_throttled_account_is_refused_even_with_the_right_password_until_the_window_passes(client):
    user = make_citizen(phone="13812345678")
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(5):
            client.post("/login/", {"username": "13812345678", "password": "wrong-password"})

        refused = client.post("/login/", {"username": "13812345678", "password": PASSWORD})

        assert refused.status_code == 200
        assert non_field_errors(refused.content.decode()) == ["登录失败次数过多，为保护账户安全，请15分钟后再试。"]
        assert logged_in_user_id(client) is None
        assert LoginFailure.objects.count() == 5  # refused attempts do not extend the lock
        assert AuditEvent.objects.filter(action="accounts.login_throttled").count() == 1

        traveller.shift(datetime.timedelta(seconds=901))
        accepted = client.post("/login/", {"username": "13812345678", "password": PASSWORD})

        assert accepted["Location"] == "/"
        assert logged_in_user_id(client) == str(user.pk)
    assert LoginFailure.objects.filter(username="13812345678").count() == 0


def test_success_clears_earlier_failures(client):
    make_citizen(phone="13812345678")
    for _ in range(4):
        client.post("/login/", {"username": "13812345678", "password": "wrong-password"})

    client.post("/login/", {"username": "13812345678", "password": PASSWORD})

    assert LoginFailure.objects.count() == 0


# --- logout -------------------------------------------------------------------------------------------------------


def test_logout_refuses_get(client):
    user = make_citizen()
    client.force_login(user)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(user.pk)


def test_logout_by_post_logs_out_and_is_audited(client):
    user = make_citizen()
    client.force_login(user)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) is None
    assert AuditEvent.objects.filter(action="accounts.logout", actor_id=user.pk).count() == 1


def test_logout_when_not_logged_in_just_redirects(client):
    response = client.post("/logout/")

    assert response["Location"] == "/"
    assert not AuditEvent.objects.filter(action="accounts.logout").exists()


# --- registration -------------------------------------------------------------------------------------------------


def test_register_page_offers_citizen_and_enterprise(client):
    html = client.get("/register/").content.decode()

    page = assert_page_shell(html)
    assert "<h1>注册账户</h1>" in html
    assert page.find_all("a", href="/register/citizen/", **{"class": "button"})
    assert page.find_all("a", href="/register/enterprise/", **{"class": "button"})


def citizen_post(**overrides) -> dict:
    return {
        "real_name": "张三",
        "id_type": "resident_id",
        "id_number": resident_id(),
        "phone": "13812345678",
        "password1": PASSWORD,
        "password2": PASSWORD,
    } | overrides


def test_citizen_registration_form_fields(client):
    response = client.get("/register/citizen/")

    html = response.content.decode()
    page = assert_page_shell(html)
    assert "<h1>个人注册</h1>" in html
    assert page.find_all("form", method="post", action="/register/citizen/", novalidate="")
    names = [i["name"] for i in page.find_all("input") if i.get("type") != "hidden"]
    assert names == ["real_name", "id_number", "phone", "password1", "password2"]
    assert page.find_all("select", name="id_type")
    assert '<option value="resident_id" selected>居民身份证</option>' in html
    assert '<label for="id_id_number">证件号码</label>' in html


def test_citizen_registers_is_logged_in_and_welcomed(client):
    number = resident_id()

    response = client.post("/register/citizen/", citizen_post(id_number=number), follow=True)

    assert response.redirect_chain == [("/", 302)]
    user = User.objects.get()
    assert (user.username, user.kind, user.citizen.id_number) == ("13812345678", "citizen", number)
    assert logged_in_user_id(client) == str(user.pk)
    html = response.content.decode()
    assert "注册成功，欢迎使用！您可以使用手机号码登录。" in html
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "accounts.citizen_registered",
        "accounts.login",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"real_name": ""}, "real_name", "这个字段是必填项。"),
        ({"real_name": "张3"}, "real_name", "真实姓名不能包含数字。"),
        ({"id_type": "driving_licence"}, "id_type", "选择一个有效的选项。 driving_licence 不在可用的选项中。"),
        ({"id_number": ""}, "id_number", "这个字段是必填项。"),
        ({"id_number": "1234"}, "id_number", "居民身份证号码应为18位，前17位为数字，最后一位为数字或X。"),
        (
            {"id_number": resident_id()[:17] + "X"},
            "id_number",
            "居民身份证号码校验位不正确，请核对后重新输入。",
        ),
        ({"id_number": resident_id("33010219900230123")}, "id_number", "居民身份证号码中的出生日期无效。"),
        ({"phone": "1381234567"}, "phone", "请输入11位中国大陆手机号码。"),
        ({"phone": ""}, "phone", "这个字段是必填项。"),
        ({"password1": "short", "password2": "short"}, "password1", "密码长度太短，至少需要8个字符。"),
        ({"password2": "something-else"}, "password2", "两次输入的密码不一致。"),
        ({"password2": ""}, "password2", "这个字段是必填项。"),
    ],
)
def test_bad_citizen_input_gives_a_chinese_field_error_and_creates_nothing(client, overrides, field, message):
    response = client.post("/register/citizen/", citizen_post(**overrides))

    assert response.status_code == 200
    html = response.content.decode()
    assert field_errors(html, field) == [message]
    assert 'aria-invalid="true"' in html
    assert User.objects.count() == 0
    assert CitizenProfile.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    assert logged_in_user_id(client) is None


def test_every_bad_field_is_reported_in_one_round(client):
    html = client.post(
        "/register/citizen/",
        citizen_post(real_name="张3", id_number="1234", phone="123", password1="Zx-9q", password2="b"),
    ).content.decode()

    assert field_errors(html, "real_name") == ["真实姓名不能包含数字。"]
    assert field_errors(html, "id_number") == ["居民身份证号码应为18位，前17位为数字，最后一位为数字或X。"]
    assert field_errors(html, "phone") == ["请输入11位中国大陆手机号码。"]
    assert field_errors(html, "password1") == ["密码长度太短，至少需要8个字符。"]
    assert field_errors(html, "password2") == ["两次输入的密码不一致。"]


def test_registration_form_never_echoes_the_password(client):
    html = client.post("/register/citizen/", citizen_post(phone="bad")).content.decode()

    assert PASSWORD not in html


def test_duplicate_phone_and_id_number_are_field_errors(client):
    number = resident_id()
    make_citizen(phone="13812345678", id_number=number)

    html = client.post("/register/citizen/", citizen_post(id_number=number)).content.decode()

    assert field_errors(html, "phone") == ["该手机号码已注册，请直接登录或使用其他手机号码。"]
    assert field_errors(html, "id_number") == ["该证件号码已注册，请直接登录；如忘记密码请联系客服。"]
    assert User.objects.count() == 1


def test_logged_in_user_is_sent_to_the_account_page_instead_of_registering(client):
    client.force_login(make_citizen())

    for url in ("/register/", "/register/citizen/", "/register/enterprise/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/account/"


def enterprise_post(**overrides) -> dict:
    return {
        "name": "示范科技有限公司",
        "credit_code": credit_code(),
        "legal_representative": "李四",
        "phone": "13912345678",
        "password1": PASSWORD,
        "password2": PASSWORD,
    } | overrides


def test_enterprise_registration_form_fields(client):
    html = client.get("/register/enterprise/").content.decode()

    page = assert_page_shell(html)
    assert "<h1>法人注册</h1>" in html
    names = [i["name"] for i in page.find_all("input") if i.get("type") != "hidden"]
    assert names == ["name", "credit_code", "legal_representative", "phone", "password1", "password2"]


def test_enterprise_registers_with_the_credit_code_as_username(client):
    code = credit_code()

    response = client.post("/register/enterprise/", enterprise_post(credit_code=code.lower()))

    assert response["Location"] == "/"
    user = User.objects.get()
    assert (user.username, user.kind, user.display_name) == (code, "enterprise", "示范科技有限公司")
    assert user.enterprise.legal_representative == "李四"
    assert logged_in_user_id(client) == str(user.pk)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "这个字段是必填项。"),
        ({"credit_code": "91350100M000100Y4"}, "credit_code", "统一社会信用代码应为18位。"),
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "统一社会信用代码校验位不正确，请核对后重新输入。"),
        (
            {"credit_code": "91350100M000100I43"},
            "credit_code",
            "统一社会信用代码格式不正确：第3至8位应为数字，字母不使用I、O、Z、S、V。",
        ),
        ({"legal_representative": ""}, "legal_representative", "这个字段是必填项。"),
        ({"phone": "12345"}, "phone", "请输入11位中国大陆手机号码。"),
        ({"password2": "other-pass-2026"}, "password2", "两次输入的密码不一致。"),
    ],
)
def test_bad_enterprise_input_gives_a_chinese_field_error_and_creates_nothing(client, overrides, field, message):
    response = client.post("/register/enterprise/", enterprise_post(**overrides))

    assert response.status_code == 200
    assert field_errors(response.content.decode(), field) == [message]
    assert User.objects.count() == 0
    assert EnterpriseProfile.objects.count() == 0


def test_duplicate_credit_code_is_a_field_error(client):
    code = credit_code()
    make_enterprise(code=code, phone="13712345678")

    html = client.post("/register/enterprise/", enterprise_post(credit_code=code)).content.decode()

    assert field_errors(html, "credit_code") == ["该统一社会信用代码已注册，请直接登录。"]
    assert User.objects.count() == 1


@pytest.mark.argon2
def test_registered_password_is_hashed_with_argon2(client):
    client.post("/register/citizen/", citizen_post())

    assert User.objects.get().password.startswith("argon2")


# --- account page -------------------------------------------------------------------------------------------------


def test_account_page_requires_login(client):
    response = client.get("/account/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/account/"


def test_citizen_account_page_masks_id_number_and_phone(client):
    number = resident_id()
    client.force_login(make_citizen(phone="13812345678", id_number=number, real_name="张三"))

    response = client.get("/account/")

    html = response.content.decode()
    assert_page_shell(html)
    assert "<h1>我的账户</h1>" in html
    assert "<dd>自然人</dd>" in html
    assert "<dd>张三</dd>" in html
    assert "<dd>居民身份证</dd>" in html
    assert f"<dd>{number[:3]}***********{number[-4:]}</dd>" in html
    assert "<dd>138****5678</dd>" in html
    assert number not in html
    assert number[3:14] not in html
    assert "13812345678" not in html


def test_enterprise_account_page(client):
    code = credit_code()
    client.force_login(make_enterprise(code=code, phone="13912345678"))

    html = client.get("/account/").content.decode()

    assert "<dd>法人</dd>" in html
    assert "<dd>示范科技有限公司</dd>" in html
    assert f"<dd>{code}</dd>" in html
    assert "<dd>李四</dd>" in html
    assert "<dd>139****5678</dd>" in html
    assert "13912345678" not in html


def test_staff_account_page_shows_department_section_position_and_roles(client):
    department = make_department()
    section = Section.objects.create(department=department, name="审批一科")
    user = make_staff(
        "wangfang", department=department, section=section, roles=("section_head", "handler"), phone="13700001111"
    )
    client.force_login(user)

    html = client.get("/account/").content.decode()

    assert "<dd>工作人员</dd>" in html
    assert "<dd>区行政审批局</dd>" in html
    assert "<dd>审批一科</dd>" in html
    assert "<dd>承办人、科长</dd>" in html
    assert "<dd>E-wangfang</dd>" in html
    assert "<dd>137****1111</dd>" in html
    assert audit_page(html).find_all("a", href="/workbench/")


def test_account_page_query_count_is_fixed(client, django_assert_num_queries):
    department = make_department()
    client.force_login(make_staff("wangfang", department=department, roles=("handler",)))

    # session, user with its staff profile (and its relations) and roles
    with django_assert_num_queries(3):  # includes the unread-message badge
        client.get("/account/")
