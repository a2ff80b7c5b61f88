from django.urls import path

from zhengwu.workbench.views import auth, catalog_excel, home
from zhengwu.workbench.views import catalog as catalog_views

app_name = "workbench"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login, name="login"),
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
]
