"""Who may issue, revoke, download and list licences."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.licences.conftest import issue_food, issue_shop
from zhengwu.licences import rules
from zhengwu.licences.models import Licence

pytestmark = pytest.mark.django_db

PEOPLE = ("citizen", "other_citizen", "enterprise", "handler", "chief", "other_handler", "supervisor", "administrator")


def test_issue_and_revoke_rights(world):
    department = world.department
    may_issue = {who for who in PEOPLE if rules.can_issue(getattr(world, who), department.pk)}
    assert may_issue == {"handler", "chief", "administrator"}
    licence = issue_food(world)
    assert {who for who in PEOPLE if rules.can_revoke(getattr(world, who), licence)} == {"chief", "administrator"}
    assert not rules.can_issue(AnonymousUser(), department.pk)


def test_a_deactivated_handler_may_no_longer_issue(world):
    world.handler.is_active = False
    assert not rules.can_issue(world.handler, world.department.pk)


def test_listing_follows_the_download_rule(world):
    shop = issue_shop(world)
    food = issue_food(world)
    visible = {who: set(rules.licences_visible_to(Licence.objects.all(), getattr(world, who))) for who in PEOPLE}
    assert visible == {
        "citizen": {shop},
        "other_citizen": set(),
        "enterprise": {food},
        "handler": {shop, food},
        "chief": {shop, food},
        "other_handler": set(),
        "supervisor": {shop, food},
        "administrator": {shop, food},
    }
    for who, licences in visible.items():
        for licence in (shop, food):
            assert rules.can_download(getattr(world, who), licence) == (licence in licences), (who, licence)
    assert not rules.licences_visible_to(Licence.objects.all(), AnonymousUser()).exists()
    assert not rules.can_download(AnonymousUser(), shop)
