from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.reference import ReferenceImplementation


@pytest.fixture(scope="session")
def reference() -> Iterator[ReferenceImplementation]:
    implementation = ReferenceImplementation()
    yield implementation
    implementation.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/interop/" in str(item.fspath):
            item.add_marker(pytest.mark.interop)
