from django.urls import path

from zhengwu.workbench.views import auth, home

app_name = "workbench"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login, name="login"),
]
