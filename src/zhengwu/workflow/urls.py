from django.urls import path

from zhengwu.workflow import views

app_name = "workflow"

urlpatterns = [
    path("definitions/<int:definition_id>/diagram.svg", views.definition_diagram, name="definition_diagram"),
    path("instances/<int:instance_id>/diagram.svg", views.instance_diagram, name="instance_diagram"),
]
