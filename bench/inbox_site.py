"""Settings for bench/inbox.py's server: the project's settings with a URLconf that adds the baseline page."""

from zhengwu.settings import *  # noqa: F403

ROOT_URLCONF = "inbox_urls"
