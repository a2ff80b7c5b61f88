"""Identity numbers, credit codes and phones: validation with check characters, normalisation and masking."""

import datetime

import pytest

from tests.accounts.factories import credit_code, resident_id, wrong_check_char
from zhengwu.accounts.domain.identity import (
    credit_code_check_char,
    credit_code_error,
    id_number_error,
    id_number_normalise,
    is_mobile_phone,
    is_valid_credit_code,
    is_valid_resident_id,
    mask_id_number,
    mask_name,
    mask_phone,
    phone_normalise,
    resident_id_check_char,
    resident_id_error,
)

ID_LENGTH = "居民身份证号码应为18位，前17位为数字，最后一位为数字或X。"
ID_BIRTH = "居民身份证号码中的出生日期无效。"
ID_CHECK = "居民身份证号码校验位不正确，请核对后重新输入。"


def test_resident_id_check_char_follows_gb_11643():
    # The worked example of GB 11643-1999: 11010519491231002X.
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",
        "11010519491231002x",  # lower-case x is accepted
        resident_id("33010219900307123"),
        resident_id("44030420000229401"),  # 29 February of a leap year
        resident_id("81000019850101002"),  # Hong Kong residence permit numbers share the rule
        " " + resident_id("33010219900307123") + " ",
    ],
)
def test_valid_resident_ids(number):
    assert resident_id_error(number) is None
    assert is_valid_resident_id(number)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", ID_LENGTH),
        ("3301021990030712", ID_LENGTH),  # 16 characters
        (resident_id()[:17], ID_LENGTH),  # 17 characters
        (resident_id() + "1", ID_LENGTH),  # 19 characters
        ("3301021990030712X4", ID_LENGTH),  # X not last
        ("33010219900307123Y", ID_LENGTH),
        ("330102199003071", ID_LENGTH),  # the old 15-digit numbers are no longer issued
        (resident_id("33010219900230123"), ID_BIRTH),  # 30 February
        (resident_id("33010219901301123"), ID_BIRTH),  # month 13
        (resident_id("33010218991231123"), ID_BIRTH),  # before 1900
        (resident_id("33010220300101123"), ID_BIRTH),  # in the future
        (wrong_check_char(resident_id()), ID_CHECK),
        (wrong_check_char("11010519491231002X"), ID_CHECK),
    ],
)
def test_invalid_resident_ids_say_why(number, message):
    assert resident_id_error(number, today=datetime.date(2026, 11, 18)) == message
    assert not is_valid_resident_id(number)


def test_every_wrong_check_char_is_refused():
    number = resident_id()
    for char in "0123456789X":
        assert is_valid_resident_id(number[:17] + char) is (char == number[17])


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("resident_id", resident_id()),
        ("hk_macao_permit", "H12345678"),
        ("hk_macao_permit", "M1234567801"),
        ("taiwan_permit", "12345678"),
        ("passport", "E12345678"),
        ("passport", "G1234567"),
        ("foreigner_pr", "USA330012345678"),
        ("foreigner_pr", resident_id("91330000190001010")),
    ],
)
def test_other_documents_valid_formats(id_type, number):
    assert id_number_error(id_type, number) is None


@pytest.mark.parametrize(
    ("id_type", "number", "message"),
    [
        ("hk_macao_permit", "H1234567", "证件号码格式不正确，请按证件上的号码填写。"),
        ("hk_macao_permit", "A12345678", "证件号码格式不正确，请按证件上的号码填写。"),
        ("taiwan_permit", "1234567", "证件号码格式不正确，请按证件上的号码填写。"),
        ("passport", "E12", "证件号码格式不正确，请按证件上的号码填写。"),
        ("passport", "E1234-5678", "证件号码格式不正确，请按证件上的号码填写。"),
        ("foreigner_pr", "US330012345678", "证件号码格式不正确，请按证件上的号码填写。"),
        (
            "foreigner_pr",
            wrong_check_char(resident_id("91330000190001010")),
            "外国人永久居留身份证号码校验位不正确，请核对后重新输入。",
        ),
        ("driving_licence", "E12345678", "请选择有效的证件类型。"),
    ],
)
def test_other_documents_invalid_formats(id_type, number, message):
    assert id_number_error(id_type, number) == message


def test_id_numbers_are_normalised_before_checking():
    assert id_number_normalise(" 11010519491231002x ") == "11010519491231002X"
    assert id_number_normalise("e 1234 5678") == "E12345678"


def test_credit_code_check_char_follows_gb_32100():
    # A published code: 91350100M000100Y43 (the example of GB 32100-2015).
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert is_valid_credit_code("91350100M000100Y43")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "91350100m000100y43",  # lower case is accepted
        credit_code("91330102MA2H3K4L5"),
        credit_code("11330102MB0000001"),
        credit_code("52330102MJ0000123"),
    ],
)
def test_valid_credit_codes(code):
    assert credit_code_error(code) is None
    assert is_valid_credit_code(code)


CODE_LENGTH = "统一社会信用代码应为18位。"
CODE_FORMAT = "统一社会信用代码格式不正确：第3至8位应为数字，字母不使用I、O、Z、S、V。"
CODE_CHECK = "统一社会信用代码校验位不正确，请核对后重新输入。"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", CODE_LENGTH),
        ("91350100M000100Y4", CODE_LENGTH),
        ("91350100M000100Y431", CODE_LENGTH),
        ("91350100M000100I43", CODE_FORMAT),  # I is not used
        ("91350100O000100Y43", CODE_FORMAT),  # O is not used
        ("9135010SM000100Y43", CODE_FORMAT),  # S is not used, and the region code must be digits
        ("91A50100M000100Y43", CODE_FORMAT),  # region code must be digits
        ("91350100M000100Y4-", CODE_FORMAT),
        ("91350100M000100Y44", CODE_CHECK),
        (wrong_check_char(credit_code(), "0123456789ABCDEFGHJKLMNPQRTUWXY"), CODE_CHECK),
    ],
)
def test_invalid_credit_codes_say_why(code, message):
    assert credit_code_error(code) == message
    assert not is_valid_credit_code(code)


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("13812345678", True),
        ("19912345678", True),
        ("16612345678", True),
        ("12812345678", False),  # no 12x mobile prefix
        ("10012345678", False),
        ("1381234567", False),
        ("138123456789", False),
        ("0571-8888888", False),
        ("", False),
    ],
)
def test_mainland_mobile_numbers(phone, valid):
    assert is_mobile_phone(phone) is valid


def test_phone_normalise_drops_spaces_hyphens_and_country_code():
    assert phone_normalise("+86 138-1234-5678") == "13812345678"
    assert phone_normalise(" 138 1234 5678 ") == "13812345678"


def test_masking_keeps_only_the_ends():
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number("H12345678") == "H12**5678"
    assert mask_id_number("1234567") == "*******"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("057188888888") == "057*****8888"
    assert mask_phone("") == ""
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳明华") == "欧***"
    assert mask_name("") == ""
