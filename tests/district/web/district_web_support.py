"""Helpers of the district web tests, imported by name (this folder is on sys.path): a module name
of its own, since every test folder's `conftest` is a top-level module named `conftest`."""

from __future__ import annotations

from testkit import WAIT_S  # noqa: F401 (the district web tests import it from here)
from webclient import PASSWORD, Client  # noqa: F401 (the same client as the hall web's tests)
