from django.urls import path

from zhengwu.portal.views import accounts, home

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("register/", accounts.register, name="register"),
    path("register/citizen/", accounts.register_citizen, name="register_citizen"),
    path("register/enterprise/", accounts.register_enterprise, name="register_enterprise"),
    path("account/", accounts.account, name="account"),
]
