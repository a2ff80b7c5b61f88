from django.urls import path

from zhengwu.licences import views

app_name = "licences"

urlpatterns = [
    path("verify/", views.verify_upload, name="verify_upload"),
    path("verify/<slug:token>/", views.verify, name="verify"),
    path("mine/", views.mine, name="mine"),
    path("<str:number>/pdf", views.download, name="download"),
]
