"""办件公示: accepted licensing cases with names masked and no identity numbers; filters, pages, a fixed query count."""

from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.cases import conftest as cases_conftest
from tests.catalog.factories import publish
from tests.html import assert_page_shell
from tests.ratings.conftest import case_in
from zhengwu.cases.enums import ApplicantIdType, ApplicantKind, CaseState, DecisionOutcome
from zhengwu.cases.models import CaseDecision
from zhengwu.portal.views import board

pytestmark = pytest.mark.django_db
hall = cases_conftest.hall

TZ = ZoneInfo("Asia/Shanghai")
URL = reverse("portal:case_board")
ID_NUMBER = "110101199003071234"
CREDIT_CODE = "91330102MA2H3K4L5X"


class BoardRows(HTMLParser):
    """The text of every cell of the board's body rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._in_board = self._in_body = self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "case-board") in attrs:
            self._in_board = True
        elif self._in_board and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag == "td":
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_cell = False
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._in_board = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][-1] += data.strip()


def board_rows(html: str) -> list[list[str]]:
    parser = BoardRows()
    parser.feed(html)
    return parser.rows


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def cases(hall):
    decided = case_in(
        hall,
        CaseState.DECIDED,
        number="B1",
        applicant_name="张晓明",
        applicant_id_number=ID_NUMBER,
        applicant_phone="13953600001",
        received_at=at(2),
    )
    CaseDecision.objects.create(
        case=decided,
        outcome=DecisionOutcome.GRANT,
        reasons="符合条件",
        legal_basis="《行政许可法》第三十八条",
        decided_at=at(5),
    )
    case_in(
        hall,
        CaseState.IN_PROGRESS,
        number="B2",
        applicant=hall.enterprise,
        applicant_kind=ApplicantKind.LEGAL,
        applicant_name="青川绿源农业科技有限公司",
        applicant_id_type=ApplicantIdType.CREDIT_CODE,
        applicant_id_number=CREDIT_CODE,
        received_at=at(3),
    )
    case_in(
        hall, CaseState.COMPLETED, number="B3", applicant_name="欧阳娜娜", received_at=at(4), completed_at=at(4, 11)
    )
    case_in(hall, CaseState.SUBMITTED, number="HIDDEN1", applicant_name="赵六", received_at=at(6))
    case_in(hall, CaseState.REFUSED, number="HIDDEN2", applicant_name="钱七", received_at=at(6))
    service = publish(hall.curation, "000301002000", item_type="20", name="社会保障卡申领")
    case_in(hall, CaseState.DECIDED, number="HIDDEN3", item_version=service, received_at=at(6))
    return decided


def test_the_board_shows_accepted_licensing_cases_masked_and_without_identity_numbers(client, hall, cases):
    page = client.get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    assert_page_shell(html, stylesheets=["/static/portal/css/cases.css"])
    item, department = "食品经营许可证核发", "区市场监督管理局"
    assert board_rows(html) == [
        ["B3", "欧阳**", item, department, "2026-03-04", "2026-03-04", "2026-03-04", "办结", "已办结"],
        ["B2", "青川绿源农业科技有限公司", item, department, "2026-03-03", "2026-03-03", "—", "办理中", "—"],
        ["B1", "张**", item, department, "2026-03-02", "2026-03-02", "2026-03-05", "已决定", "准予许可"],
    ]
    for secret in (ID_NUMBER, ID_NUMBER[-4:], CREDIT_CODE, "13953600001", "张晓明", "欧阳娜娜", "HIDDEN"):
        assert secret not in html


def test_the_board_filters_by_department_and_item_name(client, hall, cases):
    other = publish(hall.curation, "000201009000", name="药品经营许可证核发")
    case_in(hall, CaseState.DECIDED, number="B4", item_version=other, applicant_name="李四", received_at=at(9))

    by_item = board_rows(client.get(URL, {"item": "药品"}).content.decode())
    assert [row[:3] for row in by_item] == [["B4", "李*", "药品经营许可证核发"]]

    elsewhere = client.get(URL, {"department": str(hall.other_department.pk)}).content.decode()
    assert board_rows(elsewhere) == []
    assert "没有符合条件的公示办件。" in elsewhere
    mine = board_rows(client.get(URL, {"department": str(hall.department.pk), "item": "食品"}).content.decode())
    assert [row[0] for row in mine] == ["B3", "B2", "B1"]


def test_the_board_is_paginated_with_a_fixed_number_of_queries(
    client, hall, cases, django_assert_num_queries, settings
):
    for n in range(board.PER_PAGE):
        case_in(hall, CaseState.ACCEPTED, number=f"P{n:03d}", applicant_name="孙八", received_at=at(10))

    with django_assert_num_queries(3):  # departments, count, page
        first = client.get(URL, {"item": "食品"})
    html = first.content.decode()
    assert len(board_rows(html)) == board.PER_PAGE
    assert "第 1 页，共 2 页" in html
    assert 'href="?item=%E9%A3%9F%E5%93%81&amp;page=2"' in html

    with django_assert_num_queries(3):
        second = client.get(URL, {"item": "食品", "page": "2"})
    assert [row[0] for row in board_rows(second.content.decode())] == ["B3", "B2", "B1"]


def test_the_portal_navigation_links_to_the_board(client, hall):
    assert f'href="{URL}"' in client.get(reverse("portal:home")).content.decode()


@pytest.mark.parametrize("value", ["²", "99999999999999999999999"])
def test_the_board_answers_an_odd_department_filter_with_no_rows_not_an_error(client, hall, cases, value):
    response = client.get(URL, {"department": value})

    assert response.status_code == 200
    assert board_rows(response.content.decode()) == []
    assert "没有符合条件的公示办件。" in response.content.decode()
