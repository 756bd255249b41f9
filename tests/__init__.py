import pytest

# Shared test helpers assert too: let pytest explain their failures as it does in tests.
pytest.register_assert_rewrite(
    "tests.api",
    "tests.e2e.catalog_helpers",
    "tests.unit.compose_file",
    "tests.unit.container_files",
)
