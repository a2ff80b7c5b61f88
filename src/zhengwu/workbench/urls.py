from django.urls import path

from zhengwu.workbench.views import auth, case_clock, catalog_excel, home, tasks
from zhengwu.workbench.views import cases as case_views
from zhengwu.workbench.views import catalog as catalog_views

app_name = "workbench"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login, name="login"),
    # 我的待办 (task inbox)
    path("tasks/", tasks.inbox, name="tasks"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="task"),
    path("tasks/<int:task_id>/complete/", tasks.task_complete_view, name="task_complete"),
    path("tasks/<int:task_id>/return/", tasks.task_return_view, name="task_return"),
    path("tasks/<int:task_id>/reassign/", tasks.task_reassign_view, name="task_reassign"),
    # 事项梳理 (catalogue curation)
    path("catalog/", catalog_views.items, name="catalog_items"),
    path("catalog/new/", catalog_views.item_create_view, name="catalog_item_create"),
    path("catalog/review/", catalog_views.review_queue, name="catalog_review_queue"),
    path("catalog/import/", catalog_excel.catalog_import, name="catalog_excel_import"),
    path("catalog/export.xlsx", catalog_excel.catalog_export, name="catalog_excel_export"),
    path("catalog/<int:item_id>/", catalog_views.item_detail, name="catalog_item"),
    path("catalog/<int:item_id>/withdraw/", catalog_views.item_withdraw, name="catalog_item_withdraw"),
    path("catalog/<int:item_id>/draft/", catalog_views.draft_create, name="catalog_draft_create"),
    path("catalog/<int:item_id>/v<int:number>/", catalog_views.version_detail, name="catalog_version"),
    path("catalog/<int:item_id>/v<int:number>/edit/", catalog_views.version_edit, name="catalog_version_edit"),
    path("catalog/<int:item_id>/v<int:number>/diff/", catalog_views.version_diff_view, name="catalog_version_diff"),
    path(
        "catalog/<int:item_id>/v<int:number>/submit/", catalog_views.version_submit_view, name="catalog_version_submit"
    ),
    path(
        "catalog/<int:item_id>/v<int:number>/approve/",
        catalog_views.version_approve_view,
        name="catalog_version_approve",
    ),
    path(
        "catalog/<int:item_id>/v<int:number>/return/", catalog_views.version_return_view, name="catalog_version_return"
    ),
    path(
        "catalog/<int:item_id>/v<int:number>/files/<str:field>/",
        catalog_views.version_file,
        name="catalog_version_file",
    ),
    path(
        "catalog/<int:item_id>/v<int:number>/files/<str:field>/<int:material_id>/",
        catalog_views.version_file,
        name="catalog_material_file",
    ),
    # 办件受理 (intake and acceptance)
    path("cases/register/", case_views.register_items, name="case_register_items"),
    path("cases/register/<int:version_id>/", case_views.register, name="case_register"),
    path("cases/acceptance/", case_views.acceptance_queue, name="case_acceptance_queue"),
    # 挂起与延期 (suspension and extension of the handling period)
    path("cases/extensions/", case_clock.extension_queue, name="case_extension_queue"),
    path("cases/extensions/<int:extension_id>/decide/", case_clock.extension_decide_view, name="case_extension_decide"),
    path("cases/<str:number>/suspend/", case_clock.case_suspend_view, name="case_suspend"),
    path("cases/<str:number>/resume/", case_clock.case_resume_view, name="case_resume"),
    path("cases/<str:number>/extension/", case_clock.case_extension_request_view, name="case_extension_request"),
    path("cases/<str:number>/", case_views.case_detail, name="case_detail"),
    path("cases/<str:number>/accept/", case_views.case_accept_view, name="case_accept"),
    path("cases/<str:number>/refuse/", case_views.case_refuse_view, name="case_refuse"),
    path("cases/<str:number>/correction/", case_views.case_correction_view, name="case_correction"),
    path("cases/<str:number>/immediate/", case_views.case_immediate_view, name="case_immediate"),
    path("cases/<str:number>/materials/<int:material_id>/", case_views.case_material_file, name="case_material_file"),
    path("cases/<str:number>/consent/", case_views.case_consent_file, name="case_consent_file"),
]
