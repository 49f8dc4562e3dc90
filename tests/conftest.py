"""Shared test configuration.

Tiers: the default run (`make test`) excludes tests marked ``slow`` (long simulations, MCMC); run them
with ``make test-slow``. Expected numbers are marked in comments as *reference* (external truth:
a reference implementation or a published value) or *regression*.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=40, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
#: ../shared/data when present (benchmarks and optional cross-checks only; tests must not need it)
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA
