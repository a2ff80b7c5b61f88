"""Deployment checks (`zhengwu check --deploy`, and every management command outside DEBUG)."""

from django.conf import settings
from django.core.checks import Warning, register


@register("zhengwu")
def licence_settings_check(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    problems = []
    if not getattr(settings, "ZHENGWU_PUBLIC_URL", ""):
        problems.append(
            Warning(
                "ZHENGWU_PUBLIC_URL 未设置：电子证照上的核验网址和二维码将指向 http://127.0.0.1:8000。",
                hint="设置为公众访问本平台的地址，例如 https://zwfw.example.gov.cn（签发后无法更改）。",
                id="licences.W001",
            )
        )
    if not getattr(settings, "ZHENGWU_SIGNING_PASSPHRASE", ""):
        problems.append(
            Warning(
                "ZHENGWU_SIGNING_PASSPHRASE 未设置：签名私钥口令由 SECRET_KEY 派生，更换 SECRET_KEY 后将无法签发证照。",
                hint="设置独立的签名口令并妥善保管，见 docs/adr/0011-signed-licences.md。",
                id="licences.W002",
            )
        )
    return problems
