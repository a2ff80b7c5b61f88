"""The supervision app's own points (autodiscovered like every app's `supervision_points` module)."""

from zhengwu.supervision.points import approval  # noqa: F401  (registers the approval points)
