"""The unread badge's context processor: at most one cheap query, none for anonymous visitors."""

import pytest
from django.contrib.auth.models import AnonymousUser

from zhengwu.notifications.context_processors import unread_count
from zhengwu.notifications.domain import message_mark_read, notify
from zhengwu.notifications.enums import Category


def _message(user, subject="通知"):
    [message] = notify(recipients=[user], category=Category.GENERAL, subject=subject, body="", channels=("inapp",))
    return message


@pytest.mark.django_db
def test_anonymous_visitors_cost_no_query(rf, django_assert_num_queries):
    request = rf.get("/")
    request.user = AnonymousUser()

    with django_assert_num_queries(0):
        context = unread_count(request)
        assert context["unread_message_count"]() == 0


@pytest.mark.django_db
def test_a_logged_in_user_costs_one_query_only_when_the_count_is_used(
    rf, citizen, other_citizen, django_assert_num_queries
):
    _message(citizen)
    message_mark_read(user=citizen, message=_message(citizen))
    _message(citizen)
    _message(other_citizen)
    request = rf.get("/")
    request.user = citizen

    with django_assert_num_queries(0):
        context = unread_count(request)
    with django_assert_num_queries(1):
        assert context["unread_message_count"]() == 2
        assert context["unread_message_count"]() == 2
