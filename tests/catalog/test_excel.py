"""The catalogue as xlsx: export, all-or-nothing import with a row/column report, and the management command."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from tests.accounts.factories import credit_code, make_department, make_staff
from tests.catalog.factories import MATERIALS, Curation, guide_fields
from zhengwu.accounts.enums import Role
from zhengwu.audit.domain import audit_verify
from zhengwu.audit.models import AuditEvent
from zhengwu.catalog.domain import excel
from zhengwu.catalog.domain.excel import ImportProblem, catalog_export_xlsx, catalog_import_xlsx
from zhengwu.catalog.domain.versions import item_create, version_approve, version_submit
from zhengwu.catalog.enums import VersionState
from zhengwu.catalog.models import FeeItem, ItemMaterial, ItemVersion, ProcessStep, ServiceItem
from zhengwu.catalog.signals import version_published

pytestmark = pytest.mark.django_db

FEES = [
    {
        "name": "证书工本费",
        "standard_amount": Decimal("15.50"),
        "unit": "元/本",
        "legal_basis": "《关于证书工本费标准的通知》",
    }
]
STEPS = [
    {"name": "受理", "description": "核验材料", "limit_days": 1},
    {"name": "审查", "description": "书面审查", "limit_days": 3},
    {"name": "送达", "description": "邮寄或窗口领取", "limit_days": None},
]


@pytest.fixture
def cur():
    return Curation()


@pytest.fixture
def admin():
    department = make_department("区政务服务管理局", "ZW09")
    return make_staff("admin1", department=department, display_name="孙管理", roles=(Role.ADMINISTRATOR,))


def publish_two(cur) -> tuple[ItemVersion, ItemVersion]:
    first = cur.published()
    draft = item_create(
        actor=cur.editor,
        department=cur.department,
        item_type="07",
        level="4",
        basic_code="000701002000",
        fields=guide_fields(
            name="特种设备使用登记",
            is_free=False,
            online_payment=True,
            handling_kind="immediate",
            promised_limit_days=0,
            statutory_limit_days=15,
            statutory_preset="",
            limit_unit="calendar",
            result_kind="other",
            online_depth=3,
            handling_scope="city",
            intermediary_services="=检测报告（第三方）",
        ),
        materials=MATERIALS,
        fees=FEES,
        steps=STEPS,
    )
    second = version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=draft))
    return first, second


def sheets_of(data: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}


def to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def set_cell(sheet, row: int, header: str, value) -> None:
    headers = [cell.value for cell in sheet[1]]
    sheet.cell(row=row, column=headers.index(header) + 1).value = value


def db_state() -> tuple[int, ...]:
    return (
        ServiceItem.objects.count(),
        ItemVersion.objects.count(),
        ItemMaterial.objects.count(),
        FeeItem.objects.count(),
        ProcessStep.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Export -----------------------------------------------------------------------------------------------------


def test_export_writes_the_four_sheets_with_chinese_headers_and_labels(cur):
    first, second = publish_two(cur)
    sheets = sheets_of(catalog_export_xlsx())
    assert list(sheets) == ["事项", "申请材料", "收费项目", "办理环节"]
    items = sheets["事项"]
    assert items[0][:8] == (
        "实施编码",
        "基本编码",
        "事项类型",
        "行使层级",
        "实施主体",
        "实施主体统一社会信用代码",
        "事项名称",
        "服务对象：自然人",
    )
    assert len(items[0]) == 30
    row = dict(zip(items[0], items[2], strict=True))
    assert row["实施编码"] == second.item.implementation_code
    assert (row["事项类型"], row["行使层级"], row["办件类型"], row["时限单位"]) == (
        "行政确认",
        "县级",
        "即办件",
        "自然日",
    )
    assert (row["不收费"], row["支持网上支付"], row["网上办理深度"], row["通办范围"]) == (
        "否",
        "是",
        "Ⅲ级：网上预审、办理",
        "全市通办",
    )
    assert row["中介服务"] == "=检测报告（第三方）"  # text, never a formula
    assert dict(zip(items[0], items[1], strict=True))["法定时限依据（预设）"] == "行政许可决定"
    assert sheets["申请材料"][0] == (
        "实施编码",
        "材料名称",
        "来源渠道",
        "材料形式",
        "份数",
        "必要性",
        "适用情形",
        "可用电子证照替代",
        "填报须知",
    )
    assert sheets["申请材料"][3] == (
        first.item.implementation_code,
        "法定代表人授权委托书",
        "申请人自备",
        "原件",
        1,
        "容缺/情形必要",
        "委托他人办理的",
        None,
        None,
    )
    assert sheets["收费项目"] == [
        ("实施编码", "收费项目", "收费标准（元）", "计费单位", "收费依据"),
        (second.item.implementation_code, "证书工本费", 15.5, "元/本", "《关于证书工本费标准的通知》"),
    ]
    assert sheets["办理环节"][1:] == [
        (second.item.implementation_code, "受理", "核验材料", 1),
        (second.item.implementation_code, "审查", "书面审查", 3),
        (second.item.implementation_code, "送达", "邮寄或窗口领取", None),
    ]


def test_export_leaves_out_drafts(cur):
    cur.published()
    cur.draft("000201009000", name="草稿事项")
    assert len(sheets_of(catalog_export_xlsx())["事项"]) == 2


# --- Import: success --------------------------------------------------------------------------------------------


def test_export_then_import_into_an_empty_catalogue_recreates_the_same_items(cur, django_capture_on_commit_callbacks):
    publish_two(cur)
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    published = []
    version_published.connect(receiver := lambda sender, version, **kw: published.append(version.name))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = catalog_import_xlsx(actor="system:import", data=exported, publish=True)
    finally:
        version_published.disconnect(receiver)
    assert result.problems == []
    assert (len(result.created), result.drafted, result.published) == (2, [], 2)
    assert sheets_of(catalog_export_xlsx()) == sheets_of(exported)
    assert set(ItemVersion.objects.values_list("state", "number")) == {(VersionState.PUBLISHED, 1)}
    assert sorted(published) == ["特种设备使用登记", "食品经营许可证核发"]
    actions = list(AuditEvent.objects.filter(actor_repr="system:import").values_list("action", flat=True))
    assert actions == ["catalog.item_created", "catalog.published"] * 2 + ["catalog.imported"]
    assert audit_verify() is None


def test_an_editor_imports_new_items_as_drafts_that_go_through_review(cur):
    publish_two(cur)
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    result = catalog_import_xlsx(actor=cur.editor, data=exported)
    assert result.ok and result.published == 0
    versions = ItemVersion.objects.order_by("item__implementation_code")
    assert [(v.state, v.created_by) for v in versions] == [(VersionState.DRAFT, cur.editor)] * 2
    published = version_approve(actor=cur.reviewer, version=version_submit(actor=cur.editor, version=versions[0]))
    assert published.state == VersionState.PUBLISHED


def test_importing_an_existing_item_adds_a_draft_and_leaves_the_published_version_alone(cur):
    published = cur.published()
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    set_cell(workbook["事项"], 2, "承诺办结时限", 3)
    workbook["申请材料"].delete_rows(4)  # drop the conditional material
    result = catalog_import_xlsx(actor=cur.editor, data=to_bytes(workbook))
    assert (result.problems, result.created, result.drafted) == ([], [], [published.item.implementation_code])
    draft = ItemVersion.objects.get(item=published.item, number=2)
    assert (draft.state, draft.promised_limit_days) == (VersionState.DRAFT, 3)
    assert [m.name for m in draft.materials.all()] == ["食品经营许可申请书", "营业执照"]
    published.refresh_from_db()
    assert (published.state, published.promised_limit_days, published.materials.count()) == ("published", 5, 3)


def test_a_trusted_import_publishes_a_new_version_and_keeps_blank_forms(cur):
    from django.core.files.base import ContentFile

    published = cur.published()
    material = published.materials.get(name="食品经营许可申请书")
    material.blank_form.save("申请书.pdf", ContentFile(b"%PDF-1.4 blank"), save=True)
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    set_cell(workbook["事项"], 2, "办理地点", "区政务服务中心二楼")
    result = catalog_import_xlsx(actor="system:import", data=to_bytes(workbook), publish=True)
    assert (result.problems, result.drafted, result.published) == ([], [published.item.implementation_code], 1)
    current = ItemVersion.objects.get(item=published.item, state=VersionState.PUBLISHED)
    assert (current.number, current.place) == (2, "区政务服务中心二楼")
    assert current.materials.get(name="食品经营许可申请书").blank_form.name == material.blank_form.name
    published.refresh_from_db()
    assert (published.state, published.place) == (VersionState.SUPERSEDED, "区政务服务中心一楼 A05 窗口")


def test_an_administrator_may_publish_an_import_directly(cur, admin):
    publish_two(cur)
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    result = catalog_import_xlsx(actor=admin, data=exported, publish=True)
    assert result.ok and result.published == 2
    assert ItemVersion.objects.filter(state=VersionState.PUBLISHED).count() == 2
    assert AuditEvent.objects.filter(action="catalog.published", actor_repr="孙管理").count() == 2


# --- Import: the report -----------------------------------------------------------------------------------------


def bad_workbook(cur) -> bytes:
    """One valid item, then one problem per row, in every sheet."""
    publish_two(cur)
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    ServiceItem.objects.all().delete()
    items, materials, fees = workbook["事项"], workbook["申请材料"], workbook["收费项目"]
    template = [cell.value for cell in items[2]]  # the first exported item (free, licensing)
    items.delete_rows(3)
    materials.delete_rows(5, 3)
    fees.delete_rows(2)
    workbook["办理环节"].delete_rows(2, 3)
    code = template[0]
    set_cell(items, 2, "实施编码", None)  # built from department, level and basic code
    edits = {
        3: {"实施主体": "区不存在局", "基本编码": "000201003000"},
        4: {"实施主体": None, "实施主体统一社会信用代码": credit_code("11330102MB0000099"), "基本编码": "000201004000"},
        5: {"基本编码": "12AB"},
        6: {"基本编码": "000201006000", "办件类型": "加急件"},
        7: {"基本编码": "000201007000", "承诺办结时限": 30},
        8: {},  # the same item as row 2
        9: {"基本编码": "000201009000", "不收费": "否"},
        10: {"基本编码": "000201010000", "服务对象：自然人": "可以", "法定办结时限": "二十"},
        11: {"基本编码": "000201011000", "实施编码": code[:19] + "000201099000"},
    }
    for row, changes in edits.items():
        items.append(template)
        set_cell(items, row, "实施编码", None)
        for header, value in changes.items():
            set_cell(items, row, header, value)
    prefix = code[:19]
    for basic in ("000201006000", "000201007000", "000201009000", "000201010000"):
        materials.append([prefix + basic, "申请书", "申请人自备", "原件", 1, "必要"])
    materials.append([prefix + "000201002000", "申请书", "申请人自备", "原件", 1, "必要"])  # row 9: no such item
    materials.append([code, "营业执照", "网上下载", "原件", 1, "必要"])
    materials.append([code, "委托书", "申请人自备", "原件", 0, "容缺/情形必要"])
    fees.append([code, "工本费", "十元", "元/本", "某通知"])
    return to_bytes(workbook)


def test_every_problem_is_reported_with_sheet_row_column_and_message_and_nothing_is_written(cur):
    data = bad_workbook(cur)
    before = db_state()
    result = catalog_import_xlsx(actor=cur.editor, data=data)
    assert not result.ok and result.created == []
    code = cur.department.credit_code + "4"
    assert result.problems == [
        ImportProblem("事项", 3, "实施主体", "系统中没有名为“区不存在局”的部门。"),
        ImportProblem(
            "事项",
            4,
            "实施主体统一社会信用代码",
            f"系统中没有统一社会信用代码为 {credit_code('11330102MB0000099')} 的部门。",
        ),
        ImportProblem("事项", 5, "基本编码", "基本编码应为 12 位数字或大写字母。"),
        ImportProblem("事项", 6, "办件类型", "“加急件”不是有效的选项，应为：即办件、承诺件。"),
        ImportProblem("事项", 7, "承诺办结时限", "承诺办结时限（30 天）不得超过法定办结时限（20 天）。"),
        ImportProblem("事项", 8, "实施编码", f"实施编码 {code}000201001000 与第 2 行重复。"),
        ImportProblem("事项", 9, "不收费", "收费事项至少需要一个收费项目（含依据和标准）。"),
        ImportProblem("事项", 10, "服务对象：自然人", "“可以”无效，请填写“是”或“否”。"),
        ImportProblem("事项", 10, "法定办结时限", "“二十”不是整数。"),
        ImportProblem("事项", 11, "实施编码", "实施编码后 12 位与基本编码不一致。"),
        ImportProblem("申请材料", 9, "实施编码", f"“事项”工作表中没有实施编码为 {code}000201002000 的事项。"),
        ImportProblem("申请材料", 10, "材料名称", "材料名称重复。"),
        ImportProblem(
            "申请材料", 10, "来源渠道", "“网上下载”不是有效的选项，应为：申请人自备、政府部门核发、中介机构出具、其他。"
        ),
        ImportProblem("申请材料", 11, "份数", "份数应为 1 至 99 的整数。"),
        ImportProblem("申请材料", 11, "适用情形", "情形必要的材料须写明适用情形。"),
        ImportProblem("收费项目", 2, "收费项目", "不收费事项不能设置收费项目。"),
        ImportProblem("收费项目", 2, "收费标准（元）", "“十元”不是金额。"),
    ]
    assert db_state() == before


def test_material_and_fee_rules_are_reported_on_their_own_rows(cur):
    cur.published()
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    ServiceItem.objects.all().delete()
    code = workbook["事项"]["A2"].value
    materials, fees = workbook["申请材料"], workbook["收费项目"]
    set_cell(materials, 4, "适用情形", None)
    materials.append([code, "营业执照", "网上下载", "复印件", 0, "必要"])
    materials.append([code, "身份证明", "申请人自备", "复印件", 1, "必要", None, None, "须" * 501])
    fees.append([code, "工本费", 10, None, "某通知"])
    result = catalog_import_xlsx(actor=cur.editor, data=to_bytes(workbook))
    assert result.problems == [
        ImportProblem("申请材料", 4, "适用情形", "情形必要的材料须写明适用情形。"),
        ImportProblem("申请材料", 5, "材料名称", "材料名称重复。"),
        ImportProblem(
            "申请材料", 5, "来源渠道", "“网上下载”不是有效的选项，应为：申请人自备、政府部门核发、中介机构出具、其他。"
        ),
        ImportProblem("申请材料", 5, "份数", "份数应为 1 至 99 的整数。"),
        ImportProblem("申请材料", 6, "填报须知", "不得超过 500 个字符（当前 501 个）。"),
        ImportProblem("收费项目", 2, "收费项目", "不收费事项不能设置收费项目。"),
    ]
    assert ServiceItem.objects.count() == 0


def test_a_late_row_error_leaves_the_database_unchanged(cur):
    cur.published()
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    items, materials = workbook["事项"], workbook["申请材料"]
    template = [cell.value for cell in items[2]]
    material = [cell.value for cell in materials[2]]
    for n in range(2, 42):
        basic = f"0002010{n:02d}000"
        items.append(template)
        set_cell(items, items.max_row, "实施编码", None)
        set_cell(items, items.max_row, "基本编码", basic)
        materials.append([template[0][:19] + basic, *material[1:]])
    set_cell(items, items.max_row, "网上办理深度", "Ⅴ级")
    before = db_state()
    result = catalog_import_xlsx(actor=cur.editor, data=to_bytes(workbook))
    assert result.problems == [
        ImportProblem("事项", 42, "网上办理深度", "“Ⅴ级”不是有效的网上办理深度，应为 Ⅰ级 至 Ⅳ级（Ⅳ级为全程网办）。")
    ]
    assert db_state() == before


def test_a_failure_while_writing_rolls_back_every_row(cur, monkeypatch):
    publish_two(cur)
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    before = db_state()
    calls = []
    real = excel.version_publish_system

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            from django.core.exceptions import ValidationError

            raise ValidationError("发布失败（测试）。")
        return real(**kwargs)

    monkeypatch.setattr(excel, "version_publish_system", flaky)
    result = catalog_import_xlsx(actor="system:import", data=exported, publish=True)
    assert result.problems == [ImportProblem("事项", 3, "", "发布失败（测试）。")]
    assert (result.created, result.published) == ([], 0)
    assert db_state() == before


def test_an_existing_item_with_an_open_draft_or_another_type_is_refused(cur):
    published = cur.published()
    exported = catalog_export_xlsx()
    cur.draft("000201005000", name="另一事项")  # unrelated draft
    from zhengwu.catalog.domain.versions import version_draft_create

    version_draft_create(actor=cur.editor, item=published.item)
    workbook = load_workbook(io.BytesIO(exported))
    set_cell(workbook["事项"], 2, "事项类型", "行政确认")
    result = catalog_import_xlsx(actor=cur.editor, data=to_bytes(workbook))
    assert result.problems == [
        ImportProblem("事项", 2, "实施编码", "该事项已有未发布的版本（草稿），请先完成审核或撤回后再导入。"),
        ImportProblem(
            "事项",
            2,
            "事项类型",
            f"已有事项 {published.item.implementation_code} 的类型为“行政许可”，不能通过导入变更；类型不同请新建事项。",
        ),
    ]


def test_editors_import_only_their_own_department_and_publishing_needs_an_administrator(cur):
    cur.published()
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    other = make_staff("other", department=make_department("区民政局", "MZ02"), roles=(Role.CATALOG_EDITOR,))
    assert catalog_import_xlsx(actor=other, data=exported).problems == [
        ImportProblem("事项", 2, "实施主体", "您没有编辑“区市场监督管理局”事项的权限。")
    ]
    assert catalog_import_xlsx(actor=cur.editor, data=exported, publish=True).problems == [
        ImportProblem("", None, "", "只有系统管理员可以导入并直接发布事项；请取消“直接发布”，导入后走审核流程。")
    ]
    assert catalog_import_xlsx(actor=cur.reviewer, data=exported).problems == [
        ImportProblem("", None, "", "您没有导入事项的权限。")
    ]
    assert ServiceItem.objects.count() == 0


# --- Import: files that are not a catalogue ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空。"),
        (
            "事项名称,实施编码\n".encode(),
            "文件不是 Excel 工作簿（.xlsx）。请用 Excel 或 WPS 另存为 .xlsx 格式后再导入。",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "文件不是 Excel 工作簿（.xlsx）。请用 Excel 或 WPS 另存为 .xlsx 格式后再导入。",
        ),
        (b"PK\x03\x04" + bytes(100), "文件已损坏（压缩包不完整），无法读取。请重新导出或另存后再导入。"),
    ],
    ids=["empty", "csv", "xls", "truncated-zip"],
)
def test_a_file_that_is_not_an_xlsx_workbook_gets_one_clear_line(cur, data, message):
    assert catalog_import_xlsx(actor=cur.editor, data=data).problems == [ImportProblem("", None, "", message)]


def test_a_zip_that_is_not_a_workbook_is_reported_as_damaged(cur):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert catalog_import_xlsx(actor=cur.editor, data=buffer.getvalue()).problems == [
        ImportProblem("", None, "", "文件已损坏或不是有效的 Excel 工作簿（.xlsx），无法读取。")
    ]


def test_a_corrupted_sheet_inside_the_workbook_is_reported(cur):
    import zipfile

    cur.published()
    source = zipfile.ZipFile(io.BytesIO(catalog_export_xlsx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            archive.writestr(info, content)
    problems = catalog_import_xlsx(actor=cur.editor, data=buffer.getvalue()).problems
    assert problems in (
        [ImportProblem("事项", None, "", "工作表“事项”已损坏，无法读取。")],
        [ImportProblem("", None, "", "文件已损坏或不是有效的 Excel 工作簿（.xlsx），无法读取。")],
    )


def test_oversized_workbooks_are_refused_before_they_are_read(cur, monkeypatch):
    cur.published()
    exported = catalog_export_xlsx()
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 1024)
    assert catalog_import_xlsx(actor=cur.editor, data=exported).problems == [
        ImportProblem("", None, "", "文件解压后超过 0 MB，请拆分后分批导入。")
    ]
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 200 * 1024 * 1024)
    monkeypatch.setattr(excel, "MAX_ROWS", 2)
    assert catalog_import_xlsx(actor=cur.editor, data=exported).problems == [
        ImportProblem("申请材料", 4, "", "工作表超过 2 行数据的上限，请拆分后分批导入。")
    ]


def test_missing_sheets_and_columns_are_reported(cur):
    cur.published()
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    del workbook["申请材料"]
    del workbook["收费项目"]  # optional
    items = workbook["事项"]
    items.delete_cols(17)  # 办理地点
    items.delete_cols(5, 2)  # 实施主体 and its credit code
    assert catalog_import_xlsx(actor=cur.editor, data=to_bytes(workbook)).problems == [
        ImportProblem("事项", 1, "实施主体", "缺少此列（或“实施主体统一社会信用代码”列）。"),
        ImportProblem("事项", 1, "办理地点", "缺少此列。"),
        ImportProblem("申请材料", None, "", "缺少工作表“申请材料”。"),
    ]


def test_an_empty_items_sheet_is_reported(cur):
    workbook = Workbook()
    workbook.active.title = "事项"
    workbook.active.append([c.header for c in excel.layout()["事项"]])
    workbook.create_sheet("申请材料").append([c.header for c in excel.layout()["申请材料"]])
    assert catalog_import_xlsx(actor=cur.editor, data=to_bytes(workbook)).problems == [
        ImportProblem("事项", None, "", "工作表中没有事项。")
    ]


def test_cells_accept_codes_numbers_and_short_forms(cur):
    cur.published()
    workbook = load_workbook(io.BytesIO(catalog_export_xlsx()))
    ServiceItem.objects.all().delete()
    items = workbook["事项"]
    for header, value in {"事项类型": 1, "行使层级": 4, "网上办理深度": "Ⅳ级", "不收费": "Y", "实施主体": None}.items():
        set_cell(items, 2, header, value)
    set_cell(items, 2, "法定时限依据（预设）", "licence_decision")
    result = catalog_import_xlsx(actor=cur.editor, data=to_bytes(workbook))
    assert result.problems == []
    version = ItemVersion.objects.get()
    assert (version.item.item_type, version.item.level, version.online_depth, version.is_free) == ("01", "4", 4, True)


# --- Management command -----------------------------------------------------------------------------------------


def test_the_command_exports_and_imports_a_file(cur, tmp_path):
    publish_two(cur)
    path = tmp_path / "catalog.xlsx"
    out = io.StringIO()
    call_command("catalog", "export", str(path), stdout=out)
    assert out.getvalue().strip() == f"已导出 2 个现行事项到 {path}。"
    ServiceItem.objects.all().delete()
    out = io.StringIO()
    call_command("catalog", "import", str(path), "--publish", stdout=out)
    assert out.getvalue().strip() == "导入成功：新建 2 个事项，更新 0 个事项，已发布 2 个。"
    assert ItemVersion.objects.filter(state=VersionState.PUBLISHED).count() == 2


def test_the_command_prints_the_report_and_fails_on_a_bad_file(cur, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(bad_workbook(cur))
    out = io.StringIO()
    with pytest.raises(CommandError, match="文件有 17 处问题，未导入任何事项"):
        call_command("catalog", "import", str(path), "--user", "editor", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "工作表\t行\t列\t问题"
    assert lines[1] == "事项\t3\t实施主体\t系统中没有名为“区不存在局”的部门。"
    assert len(lines) == 18
    assert ServiceItem.objects.count() == 0


def test_the_command_refuses_an_unknown_user_or_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="没有用户名为 nobody 的工作人员"):
        call_command("catalog", "import", str(tmp_path / "x.xlsx"), "--user", "nobody")
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("catalog", "import", str(tmp_path / "missing.xlsx"))


# --- Import: the audit trail ------------------------------------------------------------------------------------


def test_an_import_appends_the_events_of_all_its_items_together_at_the_end(cur):
    from tests.audit.appends import assert_one_append, audit_appends

    publish_two(cur)
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    with audit_appends() as appends:
        result = catalog_import_xlsx(actor="system:import", data=exported, publish=True)
    assert result.ok
    assert_one_append(appends)
    assert appends.actions() == ["catalog.item_created", "catalog.published"] * 2 + ["catalog.imported"]
    assert audit_verify() is None


def test_an_import_failing_on_its_second_item_never_touches_the_chain(cur, monkeypatch):
    from tests.audit.appends import audit_appends

    publish_two(cur)
    exported = catalog_export_xlsx()
    ServiceItem.objects.all().delete()
    real, calls = excel.version_publish_system, []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            from django.core.exceptions import ValidationError

            raise ValidationError("发布失败（测试）。")
        return real(**kwargs)

    monkeypatch.setattr(excel, "version_publish_system", flaky)
    with audit_appends() as appends:
        result = catalog_import_xlsx(actor="system:import", data=exported, publish=True)
    assert result.problems == [ImportProblem("事项", 3, "", "发布失败（测试）。")]
    assert (appends.head_statements, appends.actions()) == (0, [])
    assert audit_verify() is None
