from . import calendar  # noqa
from . import clock  # noqa
