"""A real PostgreSQL + PostGIS for the database tests: ``GEO_TEST_DATABASE_URL``, else the throwaway server of
``scripts/start_postgis.sh``. A missing server fails the tests (never skips): CI must prove the round trip.

Use them from a test module with ``pytest_plugins = ["postgis_fixture"]``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "start_postgis.sh"


@pytest.fixture(scope="session")
def postgis_url() -> str:
    """URL of a database with the postgis extension."""
    url = os.environ.get("GEO_TEST_DATABASE_URL")
    if url:
        return url
    try:
        done = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=180, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"could not run {SCRIPT}: {exc}")
    if done.returncode != 0:
        pytest.fail(
            f"PostGIS is not available ({SCRIPT} exited {done.returncode}): {done.stderr.strip()}\n"
            "Install it with `make system-deps` (Debian postgresql + postgresql-postgis) or set "
            "GEO_TEST_DATABASE_URL to a database with the postgis extension."
        )
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def pg_schema(postgis_url: str) -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards."""
    import psycopg  # a test dependency (requirements.lock): missing means a broken set-up, so no skip

    name = f"test_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(postgis_url) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
