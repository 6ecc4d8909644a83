"""gunicorn's worker hooks (community/ops/gunicorn.py), run as gunicorn runs them."""

from __future__ import annotations

import gc


def test_a_worker_loads_every_view_then_freezes_what_it_loaded():
    """A full collection in a web worker walked every object of Django and the views again,
    a 130 ms pause for whatever requests were waiting: they are frozen once at start instead."""
    from community.ops.gunicorn import post_worker_init

    before = gc.get_freeze_count()
    try:
        post_worker_init(worker=None)
        frozen = gc.get_freeze_count()
        assert frozen - before > 10_000
        # What requests create later is still collected: only the start's objects are frozen.
        garbage = [[]]
        garbage[0].append(garbage)
        del garbage
        assert gc.collect() > 0
    finally:
        gc.unfreeze()
