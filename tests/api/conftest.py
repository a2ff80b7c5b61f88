"""The cases Hall (tests/cases/conftest.py) for the departmental systems API tests."""

from tests.cases.conftest import hall  # noqa: F401 (re-exported fixture)
