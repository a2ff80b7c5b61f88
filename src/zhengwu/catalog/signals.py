from django.dispatch import Signal

# Sent after commit with `version` (an ItemVersion) when a version is published or withdrawn.
version_published = Signal()
version_withdrawn = Signal()
