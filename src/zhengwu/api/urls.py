from django.urls import path

from zhengwu.api.main import api

urlpatterns = [
    path("", api.urls),
]
