"""raise_open_files: a socket per call needs the soft RLIMIT_NOFILE at the hard limit."""
import logging
import resource

import pytest

from control.procs import raise_open_files


@pytest.fixture
def low_soft_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 256:
        pytest.skip(f"needs a finite hard limit above 256, have {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    yield hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_soft_limit_is_raised_to_the_hard_limit(low_soft_limit, caplog):
    with caplog.at_level(logging.WARNING):
        assert raise_open_files(needed=low_soft_limit) == low_soft_limit
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == low_soft_limit
    assert "RLIMIT_NOFILE" not in caplog.text


def test_a_limit_below_what_is_needed_is_named_in_a_warning(low_soft_limit, caplog):
    with caplog.at_level(logging.WARNING):
        raise_open_files(needed=low_soft_limit + 1, name="hotline controller")
    assert "hotline controller: RLIMIT_NOFILE" in caplog.text and str(low_soft_limit + 1) in caplog.text
