"""Masking applicants' names for public pages (办件公示)."""

import pytest

from zhengwu.cases.enums import ApplicantKind
from zhengwu.cases.masking import mask_person_name, public_applicant_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张晓明", "张**"),
        ("王", "*"),
        ("", ""),
        ("   ", ""),
        (" 李  四 ", "李 *"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),  # two characters: surname 欧 and given name 阳, not the compound surname alone
        ("阿卜杜拉·买买提", "阿***·***"),
        ("热依拉·阿不都", "热**·***"),
        ("John Smith", "J*** *****"),
        ("·", "·"),
    ],
)
def test_a_natural_persons_name_keeps_only_the_surname(name, masked):
    assert mask_person_name(name) == masked


def test_a_legal_persons_name_is_public_and_shown_in_full():
    assert public_applicant_name(ApplicantKind.LEGAL, " 青川绿源农业科技有限公司 ") == "青川绿源农业科技有限公司"
    assert public_applicant_name(ApplicantKind.NATURAL, "张晓明") == "张**"
