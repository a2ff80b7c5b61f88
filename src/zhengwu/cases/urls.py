from django.urls import path

from zhengwu.cases import views

app_name = "cases"

urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
]
