from .delivery import deliveries_retry, deliveries_send
from .inbox import inbox_messages, message_mark_read, messages_mark_all_read, unread_message_count
from .notify import notify, notify_phone

__all__ = [
    "deliveries_retry",
    "deliveries_send",
    "inbox_messages",
    "message_mark_read",
    "messages_mark_all_read",
    "notify",
    "notify_phone",
    "unread_message_count",
]
