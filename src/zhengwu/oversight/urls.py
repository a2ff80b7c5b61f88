from django.urls import path

from zhengwu.oversight import views

app_name = "oversight"

urlpatterns = [
    path("", views.home, name="home"),
]
