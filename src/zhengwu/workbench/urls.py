from django.urls import path

from zhengwu.workbench.views import auth, case_clock, catalog_excel, home, ratings, tasks
from zhengwu.workbench.views import case_outcome as outcome_views
from zhengwu.workbench.views import cases as case_views
from zhengwu.workbench.views import catalog as catalog_views
from zhengwu.workbench.views import fees as fee_views

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
    path(
        "cases/<str:number>/correction/submit/",
        case_views.case_correction_submit_view,
        name="case_correction_submit",
    ),
    path("cases/<str:number>/immediate/", case_views.case_immediate_view, name="case_immediate"),
    path("cases/<str:number>/materials/<int:material_id>/", case_views.case_material_file, name="case_material_file"),
    path(
        "cases/<str:number>/materials/<int:material_id>/replaced/<int:replaced_id>/",
        case_views.case_replaced_material_file,
        name="case_replaced_material_file",
    ),
    path("cases/<str:number>/consent/", case_views.case_consent_file, name="case_consent_file"),
    path("cases/<str:number>/diagram.svg", case_views.case_diagram, name="case_diagram"),
    # 好差评 (ratings and 差评整改)
    path("cases/<str:number>/rate/", ratings.case_rate_at_window, name="case_rate"),
    path("ratings/follow-ups/", ratings.follow_ups, name="rating_follow_ups"),
    path("ratings/follow-ups/<int:follow_up_id>/", ratings.follow_up_detail, name="rating_follow_up"),
    path("ratings/follow-ups/<int:follow_up_id>/verify/", ratings.follow_up_verify, name="rating_follow_up_verify"),
    path("ratings/follow-ups/<int:follow_up_id>/rectify/", ratings.follow_up_rectify, name="rating_follow_up_rectify"),
    path(
        "ratings/follow-ups/<int:follow_up_id>/callback/", ratings.follow_up_callback, name="rating_follow_up_callback"
    ),
    path("ratings/follow-ups/<int:follow_up_id>/close/", ratings.follow_up_close, name="rating_follow_up_close"),
    path(
        "cases/<str:number>/certificate/issue/",
        outcome_views.case_certificate_issue_view,
        name="case_certificate_issue",
    ),
    path(
        "cases/<str:number>/certificate/revoke/",
        outcome_views.case_certificate_revoke_view,
        name="case_certificate_revoke",
    ),
    path("cases/<str:number>/certificate.pdf", outcome_views.case_certificate_pdf, name="case_certificate_pdf"),
    path(
        "cases/<str:number>/decision-document/",
        outcome_views.case_decision_document_view,
        name="case_decision_document",
    ),
    path("cases/<str:number>/decision.pdf", outcome_views.case_decision_pdf, name="case_decision_pdf"),
    path("cases/<str:number>/delivery/", outcome_views.case_delivery_view, name="case_delivery"),
    path("cases/<str:number>/ship/", outcome_views.case_ship_view, name="case_ship"),
    path("cases/<str:number>/hand-over/", outcome_views.case_hand_over_view, name="case_hand_over"),
    path("cases/<str:number>/complete/", outcome_views.case_complete_view, name="case_complete"),
    # 统一收费窗口 (unified fee window) and the case page's fee actions
    path("fees/", fee_views.fee_queue, name="fee_queue"),
    path("fees/<int:notice_id>/", fee_views.fee_notice, name="fee_notice"),
    path("fees/<int:notice_id>/collect/", fee_views.fee_collect, name="fee_collect"),
    path("fees/<int:notice_id>/refund/", fee_views.fee_refund_request_view, name="fee_refund_request"),
    path(
        "fees/online/<int:attempt_id>/return/",
        fee_views.fee_payment_attempt_return_view,
        name="fee_payment_attempt_return",
    ),
    path("fees/refunds/", fee_views.fee_refund_queue, name="fee_refund_queue"),
    path("fees/refunds/<int:request_id>/decide/", fee_views.fee_refund_decide_view, name="fee_refund_decide"),
    path("fees/refunds/<int:request_id>/withdraw/", fee_views.fee_refund_withdraw_view, name="fee_refund_withdraw"),
    path("fees/receipts/<int:payment_id>.pdf", fee_views.fee_receipt, name="fee_receipt"),
    path("cases/<str:number>/fees/issue/", fee_views.case_fee_issue_view, name="case_fee_issue"),
    path("cases/<str:number>/fees/<int:notice_id>/cancel/", fee_views.case_fee_cancel_view, name="case_fee_cancel"),
]
