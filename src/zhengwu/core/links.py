from django.conf import settings

# Where an unconfigured installation is reached (the embedded default of `zhengwu serve`).
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def absolute_url(path: str) -> str:
    """An address for paper and messages: ZHENGWU_PUBLIC_URL (or the local default) plus the path."""
    base = getattr(settings, "ZHENGWU_PUBLIC_URL", "") or DEFAULT_PUBLIC_URL
    return base.rstrip("/") + path
