"""Run pyHanko's synchronous wrappers (which call asyncio.run) even from a thread with a running event loop."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_sync(fn: Callable[[], T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1) as pool:  # e.g. under Playwright's sync API
        return pool.submit(fn).result()
