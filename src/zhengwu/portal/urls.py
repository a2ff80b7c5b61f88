from django.urls import path

from zhengwu.portal.views import (
    accounts,
    board,
    case_outcome,
    cases,
    catalog,
    fees,
    home,
    payment_simulator,
    ratings,
    supervision,
)

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("register/", accounts.register, name="register"),
    path("register/citizen/", accounts.register_citizen, name="register_citizen"),
    path("register/enterprise/", accounts.register_enterprise, name="register_enterprise"),
    path("account/", accounts.account, name="account"),
    path("services/", catalog.services, name="services"),
    path("services/search/", catalog.search, name="services_search"),
    path("services/department/<str:code>/", catalog.department, name="services_department"),
    path("services/for/<str:audience>/", catalog.audience, name="services_audience"),
    path("services/theme/<slug:slug>/", catalog.theme, name="services_theme"),
    path("services/identity/<slug:slug>/", catalog.identity, name="services_identity"),
    path("services/scenario/<slug:slug>/", catalog.scenario, name="services_scenario"),
    path("services/item/<str:implementation_code>/", catalog.item_guide, name="services_item"),
    path(
        "services/item/<str:implementation_code>/materials/<int:material_id>/<slug:kind>/",
        catalog.material_file,
        name="services_material_file",
    ),
    path(
        "services/item/<str:implementation_code>/result-sample/",
        catalog.result_sample,
        name="services_result_sample",
    ),
    path("services/item/<str:implementation_code>/apply/", cases.apply, name="services_apply"),
    path("cases/board/", board.case_board, name="case_board"),
    path("cases/mine/", cases.mine, name="cases_mine"),
    path("cases/mine/<str:number>/", cases.detail, name="case_detail"),
    path("cases/mine/<str:number>/receipt.pdf", cases.receipt, name="case_receipt"),
    path("cases/mine/<str:number>/rate/", ratings.rate, name="case_rate"),
    path("supervision/violations/", supervision.violations, name="supervision_violations"),
    path("cases/mine/<str:number>/certificate.pdf", case_outcome.case_certificate_pdf, name="case_certificate_pdf"),
    path("cases/mine/<str:number>/decision.pdf", case_outcome.case_decision_pdf, name="case_decision_pdf"),
    path("cases/mine/<str:number>/delivery/", case_outcome.case_delivery, name="case_delivery"),
    path("cases/mine/<str:number>/fees/<int:notice_id>/pay/", fees.pay_online, name="case_fee_pay"),
    path("cases/mine/<str:number>/fees/receipts/<int:payment_id>.pdf", fees.fee_receipt, name="case_fee_receipt"),
    path(
        "cases/mine/<str:number>/fees/online/<str:reference>/",
        fees.payment_return,
        name="case_fee_payment_return",
    ),
    path("payments/simulated/", payment_simulator.cashier, name="payment_simulator"),
]
