from tests.supervision.conftest import hall, office  # noqa: F401
