"""`hotline user add|passwd|reset|disable|enable|list` against a real PostgreSQL database; the
first admin is created without any default password (read from stdin, as a script would)."""
from __future__ import annotations

import io
import uuid

import pytest

from control.cli import main as hotline

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(pg_sessions, pg_database_url, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", pg_database_url)

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = hotline(["user", *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _user(pg_sessions, name: str):
    from records.accounts import find

    with pg_sessions() as session:
        return find(session, name)


def test_first_admin_from_stdin_then_passwd_reset_disable_enable_list(cli, pg_sessions):
    name = f"root-{uuid.uuid4().hex[:6]}"
    assert cli("add", "--role", "admin", name, stdin="first-admin-password\n")[0] == 0
    admin = _user(pg_sessions, name)
    assert admin.role == "admin" and admin.check_password("first-admin-password") and admin.active
    token = admin.session_token

    assert cli("passwd", name, stdin="second-admin-password\n")[0] == 0
    admin = _user(pg_sessions, name)
    assert admin.check_password("second-admin-password") and admin.session_token != token

    assert cli("reset", name)[0] == 0
    assert _user(pg_sessions, name).must_change_password

    assert cli("disable", name)[0] == 0
    assert not _user(pg_sessions, name).active
    code, out, _ = cli("list")
    assert code == 0 and any(line.startswith(name) and "disabled" in line and "must-change" in line
                             for line in out.splitlines())
    assert cli("enable", name)[0] == 0 and _user(pg_sessions, name).active


@pytest.mark.parametrize("argv, stdin, message", [
    (("add", "--role", "admin", "{name}"), "short\n", "at least 12 characters"),
    (("add", "{name}"), "", "no password on standard input"),
    (("add", "{name}"), "{name}\n", "may not be the user name"),
    (("passwd", "nobody-here"), "long-enough-password\n", "no user named 'nobody-here'"),
    (("disable", "nobody-here"), "", "hotline user list"),
])
def test_bad_input_is_refused_with_the_reason(cli, argv, stdin, message):
    name = f"user-{uuid.uuid4().hex[:10]}"
    code, _, err = cli(*[a.format(name=name) for a in argv], stdin=stdin.format(name=name))
    assert code == 1 and message in err, err


def test_a_duplicate_name_is_refused(cli):
    name = f"dup-{uuid.uuid4().hex[:6]}"
    assert cli("add", name, stdin="long-enough-password\n")[0] == 0
    code, _, err = cli("add", name, stdin="long-enough-password\n")
    assert code == 1 and "exists already" in err
