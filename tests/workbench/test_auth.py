"""Staff login to the workbench, and the staff_required guard for workbench views."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.views import View

from tests.accounts.factories import PASSWORD, make_citizen, make_department, make_enterprise, make_staff
from tests.accounts.pages import field_errors, logged_in_user_id, non_field_errors
from tests.html import assert_page_shell
from zhengwu.accounts.models import LoginFailure, User
from zhengwu.audit.models import AuditEvent
from zhengwu.workbench.rules import StaffRequiredMixin, staff_required

pytestmark = pytest.mark.django_db


def test_workbench_login_page(client):
    response = client.get("/workbench/login/")

    assert response.status_code == 200
    html = response.content.decode()
    page = assert_page_shell(html)
    assert "<h1>工作人员登录</h1>" in html
    assert "<title>工作人员登录 - 工作台 - 政务服务平台</title>" in html
    assert page.find_all("form", method="post", action="/workbench/login/", novalidate="")
    assert [i["name"] for i in page.find_all("input") if i.get("type") != "hidden"] == ["username", "password"]
    assert page.find_all("nav", id="site-nav") == []  # no staff menu before login


def test_staff_logs_in_to_the_workbench(client):
    user = make_staff("wangfang", department=make_department())

    response = client.post("/workbench/login/", {"username": "wangfang", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/workbench/"
    assert logged_in_user_id(client) == str(user.pk)
    event = AuditEvent.objects.get(action="accounts.login")
    assert (event.actor_id, event.after) == (user.pk, {"channel": "workbench"})


def test_workbench_login_follows_a_safe_next(client):
    make_staff("wangfang", department=make_department())

    response = client.post("/workbench/login/?next=/account/", {"username": "wangfang", "password": PASSWORD})

    assert response["Location"] == "/account/"


@pytest.mark.parametrize("make_public_user", [make_citizen, make_enterprise])
def test_public_users_are_refused_at_the_workbench_with_a_clear_message(client, make_public_user):
    user = make_public_user()

    response = client.post("/workbench/login/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    assert non_field_errors(response.content.decode()) == [
        "该账户不是工作人员账户，不能登录工作台。公众用户请在门户网站登录。"
    ]
    assert logged_in_user_id(client) is None
    assert LoginFailure.objects.count() == 0  # the password was right: not a guess
    assert not AuditEvent.objects.filter(action="accounts.login").exists()


def test_wrong_password_at_the_workbench(client):
    make_staff("wangfang", department=make_department())

    response = client.post("/workbench/login/", {"username": "wangfang", "password": "nope-nope"})

    assert non_field_errors(response.content.decode()) == ["用户名（手机号码）或密码不正确，请重新输入。"]
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["wangfang"]


def test_empty_fields_at_the_workbench(client):
    html = client.post("/workbench/login/", {"username": "", "password": ""}).content.decode()

    assert field_errors(html, "username") == ["这个字段是必填项。"]
    assert field_errors(html, "password") == ["这个字段是必填项。"]


def test_portal_and_workbench_share_one_throttle(client):
    make_staff("wangfang", department=make_department())
    for _ in range(3):
        client.post("/login/", {"username": "wangfang", "password": "nope-nope"})
    for _ in range(2):
        client.post("/workbench/login/", {"username": "wangfang", "password": "nope-nope"})

    response = client.post("/workbench/login/", {"username": "wangfang", "password": PASSWORD})

    assert non_field_errors(response.content.decode()) == ["登录失败次数过多，为保护账户安全，请15分钟后再试。"]
    assert logged_in_user_id(client) is None


def test_one_login_serves_every_subsystem(client):
    make_staff("wangfang", department=make_department())
    client.post("/workbench/login/", {"username": "wangfang", "password": PASSWORD})

    assert client.get("/workbench/").status_code == 200
    assert client.get("/account/").status_code == 200


# --- staff_required -----------------------------------------------------------------------------------------------


@staff_required
def plain_view(request):
    return HttpResponse("ok")


@staff_required(roles=("supervisor", "administrator"))
def oversight_view(request):
    return HttpResponse("ok")


class MixinView(StaffRequiredMixin, View):
    required_roles = ("handler",)

    def get(self, request):
        return HttpResponse("ok")


def request_as(rf, user, path="/workbench/cases/?page=2"):
    request = rf.get(path)
    request.user = user
    return request


@pytest.mark.parametrize("view", [plain_view, oversight_view, MixinView.as_view()])
def test_anonymous_is_sent_to_the_workbench_login_with_next(rf, view):
    response = view(request_as(rf, AnonymousUser()))

    assert response.status_code == 302
    assert response["Location"] == "/workbench/login/?next=/workbench/cases/%3Fpage%3D2"


@pytest.mark.parametrize("view", [plain_view, oversight_view, MixinView.as_view()])
def test_logged_in_public_users_get_403(rf, view):
    with pytest.raises(PermissionDenied):
        view(request_as(rf, make_citizen()))


@pytest.mark.parametrize("make_public_user", [make_citizen, make_enterprise])
def test_a_public_user_is_told_the_workbench_is_for_staff_and_may_log_out(client, make_public_user):
    client.force_login(make_public_user())

    response = client.get("/workbench/")

    assert response.status_code == 403
    html = response.content.decode()
    refusal = "工作台仅供政务服务工作人员使用。您当前以公众账户登录；如需办理工作，请退出后用工作人员账户登录。"
    assert f"<p>{refusal}</p>" in html
    assert '<form class="logout-form" method="post" action="/logout/">' in html


def test_a_staff_member_without_the_role_gets_the_plain_refusal_without_a_logout_form(client):
    client.force_login(make_staff("handler", department=make_department(), roles=("handler",)))

    html = client.get("/oversight/").content.decode()

    assert "<p>您的账户没有访问此页面的权限。</p>" in html
    assert 'class="logout-form"' not in html


def test_staff_pass_and_roles_are_enforced(rf):
    department = make_department()
    handler = make_staff("handler", department=department, roles=("handler",))
    supervisor = make_staff("jiancha", department=department, roles=("supervisor",))
    superuser = User.objects.create_superuser("root", None, PASSWORD)

    assert plain_view(request_as(rf, handler)).status_code == 200
    assert MixinView.as_view()(request_as(rf, handler)).status_code == 200
    assert oversight_view(request_as(rf, supervisor)).status_code == 200
    assert oversight_view(request_as(rf, superuser)).status_code == 200
    with pytest.raises(PermissionDenied):
        oversight_view(request_as(rf, handler))
    with pytest.raises(PermissionDenied):
        MixinView.as_view()(request_as(rf, supervisor))


def test_staff_required_loads_the_profile_and_roles_in_two_queries(rf, django_assert_num_queries):
    handler = make_staff("handler", department=make_department(), roles=("handler",))
    request = request_as(rf, User.objects.get(pk=handler.pk))

    with django_assert_num_queries(2):
        MixinView.as_view()(request)
        assert request.user.staff.department.name == "区行政审批局"
        assert [a.role for a in request.user.role_assignments.all()] == ["handler"]
