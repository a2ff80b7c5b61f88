from django.urls import path

from zhengwu.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.messages_read_all, name="read_all"),
    path("<int:message_id>/read/", views.message_read, name="read"),
    path("<int:message_id>/open/", views.message_open, name="open"),
]
