from django.conf import settings
from django.utils.translation import gettext as _


def site(request):
    return {"site_name": settings.ZHENGWU_SITE_NAME or _("政务服务平台")}
