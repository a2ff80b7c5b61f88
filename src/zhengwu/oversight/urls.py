from django.urls import path

from zhengwu.oversight.views import alerts, assessment, dashboard, orders, work

app_name = "oversight"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("objects/", dashboard.objects, name="objects"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/acknowledge/", alerts.alert_acknowledge_view, name="alert_acknowledge"),
    path("alerts/<int:pk>/dismiss/", alerts.alert_dismiss_view, name="alert_dismiss"),
    path("orders/", orders.order_list, name="orders"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/report/", orders.order_report_view, name="order_report"),
    path("orders/<int:pk>/close/", orders.order_close_view, name="order_close"),
    path("orders/<int:pk>/return/", orders.order_return_view, name="order_return"),
    path("spot-checks/", work.spot_checks, name="spot_checks"),
    path("spot-checks/<int:pk>/", work.spot_check_detail, name="spot_check_detail"),
    path("spot-checks/items/<int:pk>/finding/", work.spot_check_finding, name="spot_check_finding"),
    path("callbacks/", work.callbacks, name="callbacks"),
    path("violations/", work.violations, name="violations"),
    path("violations/<int:pk>/publish/", work.violation_publish_view, name="violation_publish"),
    path("assessment/", assessment.assessment, name="assessment"),
    path("assessment/compute/", assessment.assessment_compute_view, name="assessment_compute"),
    path("assessment/export.xlsx", assessment.assessment_export_xlsx, name="assessment_xlsx"),
    path("assessment/export.pdf", assessment.assessment_export_pdf, name="assessment_pdf"),
]
