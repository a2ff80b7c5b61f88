"""Recording the save signals a model's rows send (for comparing hand-written statements with `Model.save`)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models.signals import post_save, pre_save


@contextmanager
def save_signals(model) -> Iterator[list[tuple]]:
    """The (signal, created, update_fields) of each pre_save/post_save `model` sends inside the block
    (`created` None for pre_save)."""
    sent: list[tuple] = []

    def receiver(signal, **kwargs):
        sent.append((signal, kwargs["created"] if signal is post_save else None, kwargs["update_fields"]))

    pre_save.connect(receiver, sender=model)
    post_save.connect(receiver, sender=model)
    try:
        yield sent
    finally:
        pre_save.disconnect(receiver, sender=model)
        post_save.disconnect(receiver, sender=model)
