from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "政务服务平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", include("zhengwu.portal.urls")),
    path("workbench/workflow/", include("zhengwu.workflow.urls")),
    path("workbench/", include("zhengwu.workbench.urls")),
    path("oversight/", include("zhengwu.oversight.urls")),
    path("licences/", include("zhengwu.licences.urls")),
    path("cases/", include("zhengwu.cases.urls")),
    path("messages/", include("zhengwu.notifications.urls")),
    path("api/", include("zhengwu.api.urls")),
    path("admin/", admin.site.urls),
]
