from django.urls import include, path

from zhengwu.api import payments
from zhengwu.api.external import api as external_api
from zhengwu.api.main import api

urlpatterns = [
    path("external/", external_api.urls),
    path("payments/", include(payments)),
    path("", api.urls),
]
