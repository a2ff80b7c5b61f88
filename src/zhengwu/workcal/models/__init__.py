from .days import *  # noqa
from .clock import *  # noqa
