from django.conf import settings
from django.utils.translation import gettext as _


def site(request):
    # Not "site_name": django.contrib.auth's views put the host name there.
    return {
        "platform_name": settings.ZHENGWU_SITE_NAME or _("政务服务平台"),
        "site_owner": settings.ZHENGWU_SITE_OWNER,
    }
