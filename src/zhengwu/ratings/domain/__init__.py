from .follow_up import rating_callback_record, rating_follow_up_close, rating_follow_up_rectify, rating_follow_up_verify
from .submit import follow_up_recipients, rating_submit

__all__ = [
    "follow_up_recipients",
    "rating_callback_record",
    "rating_follow_up_close",
    "rating_follow_up_rectify",
    "rating_follow_up_verify",
    "rating_submit",
]
