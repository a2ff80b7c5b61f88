"""The message and delivery tables' indexes (ADR 0019, seventh pass): the recipient's foreign key is served by
the inbox's (recipient, read_at) index."""

import pytest

from tests.indexes import TableIndex, table_indexes

pytestmark = pytest.mark.django_db


def test_the_message_table_has_only_the_indexes_its_queries_read_through():
    assert table_indexes("notifications_message") == {
        TableIndex("notif_message_recipient_read", ("recipient_id", "read_at")),
        TableIndex("notifications_message_sender_id_15890649", ("sender_id",)),
    }


def test_the_delivery_table_has_only_the_indexes_its_queries_read_through():
    assert table_indexes("notifications_delivery") == {
        TableIndex("notif_delivery_state", ("state",)),
        TableIndex("notifications_delivery_message_id_df4d325b", ("message_id",)),
    }
