"""Channel backends and the texts they carry."""

import io
import json
from types import SimpleNamespace

import pytest

from zhengwu.notifications import backends
from zhengwu.notifications.backends import (
    ConsoleSmsGateway,
    FileSmsGateway,
    LocmemSmsGateway,
    SmsError,
    absolute_url,
    sms_gateway,
    sms_max_chars,
    sms_text,
)

URL = "https://zwfw.example.gov.cn/cases/2026112300001/"


@pytest.mark.parametrize(("segments", "chars"), [(1, 70), (2, 134), (3, 201), (0, 70)])
def test_segment_limits_follow_ucs2_sms(segments, chars):
    assert sms_max_chars(segments) == chars


def test_a_short_text_is_sent_whole():
    assert sms_text(subject="您的申请已受理", body="请留意后续通知。", url=URL, signature="青川政务", limit=134) == (
        f"【青川政务】您的申请已受理：请留意后续通知。 {URL}"
    )


def test_a_long_body_is_cut_with_an_ellipsis_and_the_link_is_kept_whole():
    body = "您申请的食品经营许可已作出准予许可决定，" * 10

    text = sms_text(subject="办理决定", body=body, url=URL, signature="青川政务", limit=70)

    assert len(text) == 70
    assert text.startswith("【青川政务】办理决定：您申请的")
    assert text.endswith(f"… {URL}")


def test_a_subject_longer_than_the_room_is_cut_too_and_whitespace_is_collapsed():
    text = sms_text(subject="补正告知\n" + "材料" * 40, body="请补正。", url="", signature="", limit=20)

    assert text == "补正告知 材料材料材料材料材料材料材料…"
    assert len(text) == 20


def test_when_only_the_link_fits_only_the_link_is_sent():
    assert sms_text(subject="办理决定", body="准予", url=URL, signature="", limit=len(URL) + 1) == f" {URL}"


def test_links_are_absolute_only_with_a_public_address(settings):
    settings.ZHENGWU_PUBLIC_URL = "https://zwfw.example.gov.cn/"
    assert absolute_url("/messages/") == "https://zwfw.example.gov.cn/messages/"
    assert absolute_url("") == ""
    settings.ZHENGWU_PUBLIC_URL = ""
    assert absolute_url("/messages/") == ""


def test_the_message_text_uses_the_configured_signature_and_segments(settings):
    settings.ZHENGWU_SMS_SIGNATURE = "青川政务"
    settings.ZHENGWU_SMS_MAX_SEGMENTS = 1
    message = SimpleNamespace(subject="证照待领取", body="请携带身份证到三号窗口领取。" * 5, link="/cases/9/")

    text = backends.message_sms_text(message)

    assert len(text) == 70
    assert text.startswith("【青川政务】证照待领取：请携带身份证")
    assert text.endswith("… https://zwfw.example.gov.cn/cases/9/")


def test_the_file_gateway_appends_one_json_line_per_text(tmp_path):
    gateway = FileSmsGateway(path=tmp_path / "deep" / "sms.log")

    first = gateway.send("13812345678", "【青川政务】第一条")
    second = gateway.send("13912345678", "第二条")

    lines = [json.loads(line) for line in (tmp_path / "deep" / "sms.log").read_text(encoding="utf-8").splitlines()]
    assert [(line["phone"], line["text"], line["reference"]) for line in lines] == [
        ("13812345678", "【青川政务】第一条", first),
        ("13912345678", "第二条", second),
    ]
    assert first != second


def test_the_file_gateway_makes_its_directory_again_when_it_was_removed(tmp_path):
    gateway = FileSmsGateway(path=tmp_path / "deep" / "sms.log")
    gateway.send("13812345678", "第一条")
    (tmp_path / "deep" / "sms.log").unlink()
    (tmp_path / "deep").rmdir()

    reference = gateway.send("13912345678", "第二条")

    [line] = (tmp_path / "deep" / "sms.log").read_text(encoding="utf-8").splitlines()
    assert (json.loads(line)["phone"], json.loads(line)["reference"]) == ("13912345678", reference)


def test_the_file_gateway_defaults_to_the_data_directory(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ZHENGWU_SMS_FILE = ""

    FileSmsGateway().send("13812345678", "测试")

    assert (tmp_path / "sms.log").exists()


def test_the_file_gateway_reports_an_unwritable_file_as_an_sms_error(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")

    with pytest.raises(SmsError, match=r"^写入短信文件失败："):
        FileSmsGateway(path=blocker / "sms.log").send("13812345678", "测试")


def test_the_console_gateway_prints_the_text():
    stream = io.StringIO()

    reference = ConsoleSmsGateway(stream=stream).send("13812345678", "测试短信")

    assert stream.getvalue() == f"[短信] 13812345678：测试短信（{reference}）\n"


def test_the_gateway_comes_from_settings(settings):
    settings.ZHENGWU_SMS_BACKEND = "zhengwu.notifications.backends.ConsoleSmsGateway"
    assert type(sms_gateway()) is ConsoleSmsGateway

    settings.ZHENGWU_SMS_BACKEND = ""
    assert type(sms_gateway()) is LocmemSmsGateway  # while tests run

    settings.TESTING = False
    assert type(sms_gateway()) is FileSmsGateway  # development and the embedded default


def test_the_email_body_is_plain_text_without_html_escaping(settings, mailoutbox):
    message = SimpleNamespace(subject="补正告知", body="请补充 <营业执照> & 法人身份证。", link="")
    settings.ZHENGWU_SITE_NAME = "青川区政务服务平台"

    reference = backends.send_email(to="a@example.cn", message=message)

    [email] = mailoutbox
    assert email.body == (
        "补正告知\n\n请补充 <营业执照> & 法人身份证。\n\n青川区政务服务平台\n本邮件由系统自动发送，请勿直接回复。\n"
    )
    assert email.extra_headers["Message-ID"] == reference
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
