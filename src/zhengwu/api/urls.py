from django.urls import path

from zhengwu.api.external import api as external_api
from zhengwu.api.main import api

urlpatterns = [
    path("external/", external_api.urls),
    path("", api.urls),
]
