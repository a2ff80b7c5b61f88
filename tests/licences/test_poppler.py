"""An independent reader (poppler, as used by most Linux PDF viewers) accepts the signature and reads the text.

scripts/test.sh installs poppler-utils; without it these tests fail rather than skip.
"""

import shutil
import subprocess

import pytest

from tests.licences.conftest import issue_food, issue_shop
from zhengwu.licences.domain import verification_url

pytestmark = pytest.mark.django_db


def poppler(tool: str, *args: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} 未安装：请安装 poppler-utils（apt-get install poppler-utils）。"
    return subprocess.run([path, *args], capture_output=True, text=True, check=False, timeout=60).stdout


def test_pdfsig_finds_a_valid_ecdsa_signature_over_the_whole_document(world):
    licence = issue_food(world)
    output = poppler("pdfsig", licence.pdf.path)
    assert "Signature Field Name: Signature1" in output
    assert "Signer Certificate Common Name: 区市场监督管理局" in output
    assert "Signature Type: ETSI.CAdES.detached" in output
    assert "Signing Hash Algorithm: SHA-256" in output
    assert "Total document signed" in output
    assert "Signature Validation: Signature is Valid." in output


def test_pdftotext_reads_the_chinese_text_and_the_verification_url(world):
    licence = issue_shop(world)
    output = poppler("pdftotext", "-layout", licence.pdf.path, "-")
    compact = "".join(output.split())  # the title is letter-spaced
    for expected in (
        "个体工商户营业执照",
        "张晓明",
        licence.number,
        "青川区晓明百货店",
        "发证机关：青川区市场监督管理局",
    ):
        assert expected in compact, expected
    assert verification_url(licence.token) in output
