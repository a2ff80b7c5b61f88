"""Signal receivers of the search app, connected in SearchConfig.ready().

The catalogue sends its signals after commit, so the publication has happened whatever we do here:
an indexing failure is logged (a rebuild, `zhengwu search reindex`, repairs it) and never reaches
the reviewer who published.
"""

import logging

from django.dispatch import receiver

from zhengwu.catalog.signals import version_published, version_withdrawn

logger = logging.getLogger(__name__)


def _reindex_item(version) -> None:
    from zhengwu.search.domain import search_index_catalog_item

    try:
        search_index_catalog_item(item_id=version.item_id)
    except Exception:
        logger.exception("search: indexing catalogue item %s failed", version.item_id)


@receiver(version_published, dispatch_uid="search.catalog_version_published")
def index_published_version(sender, version, **kwargs) -> None:
    _reindex_item(version)


@receiver(version_withdrawn, dispatch_uid="search.catalog_version_withdrawn")
def unindex_withdrawn_version(sender, version, **kwargs) -> None:
    _reindex_item(version)
