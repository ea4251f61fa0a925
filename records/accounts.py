"""Account operations shared by `hotline user` and the console: add, set or change a password,
force a reset, disable, list. Each takes an open SQLAlchemy session and leaves committing to the
caller; bad input raises AccountError with a message that names the fix."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session
from werkzeug.security import generate_password_hash

from records.models import ROLES, Agent, User

MIN_PASSWORD_LENGTH = 12
# A plain session (the CLI) or the console's scoped one (Flask-SQLAlchemy's db.session).
DbSession = Session | scoped_session[Any]


class AccountError(ValueError):
    pass


def password_problem(username: str, password: str) -> str | None:
    """Why ``password`` may not be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip().lower() == username.strip().lower():
        return "a password may not be the user name"
    return None


def _check_password(username: str, password: str) -> None:
    problem = password_problem(username, password)
    if problem:
        raise AccountError(problem)


def find(session: DbSession, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user named {username!r} (list them with: hotline user list)")
    return user


def add_user(session: DbSession, username: str, password: str, role: str = "agent",
             agent_id: str | None = None, hasher: Callable[[str], str] = generate_password_hash) -> User:
    username = username.strip()
    if not username or len(username) > 80:
        raise AccountError("a user name is 1 to 80 characters")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"a user named {username!r} exists already (change its password with: "
                           f"hotline user passwd {username})")
    if agent_id is not None and session.get(Agent, agent_id) is None:
        raise AccountError(f"no agent with id {agent_id!r}")
    _check_password(username, password)
    user = User(username=username, role=role, agent_id=agent_id, active=True)
    user.set_password_hash(hasher(password))
    session.add(user)
    session.flush()
    return user


def set_password(session: DbSession, username: str, password: str, must_change: bool = False,
                 hasher: Callable[[str], str] = generate_password_hash) -> User:
    """An administrator sets the password; ``must_change`` makes the user pick a new one at next login.
    Every session the user has ends."""
    user = find(session, username)
    _check_password(username, password)
    user.set_password_hash(hasher(password))
    user.must_change_password = must_change
    return user


def change_own_password(user: User, current_password: str, new_password: str,
                        hasher: Callable[[str], str] = generate_password_hash) -> None:
    """The user's own change; the caller has verified ``current_password``. Every session of the
    user ends (the caller logs the current one in again). ``hasher`` lets the console hash off
    its event loop."""
    _check_password(user.username, new_password)
    if new_password == current_password:
        raise AccountError("the new password must differ from the current one")
    user.set_password_hash(hasher(new_password))
    user.must_change_password = False


def force_reset(session: DbSession, username: str) -> User:
    """The user must choose a new password at next login; every session they have ends now."""
    user = find(session, username)
    user.must_change_password = True
    user.revoke_sessions()
    return user


def disable(session: DbSession, username: str) -> User:
    user = find(session, username)
    user.active = False
    user.revoke_sessions()
    return user


def enable(session: DbSession, username: str) -> User:
    user = find(session, username)
    user.active = True
    return user


def list_users(session: DbSession) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def still_seeded(session: DbSession, seeded: dict[str, str]) -> list[str]:
    """Names of active users whose password is still the one ``hotline db seed`` gave them."""
    from werkzeug.security import check_password_hash

    # two columns only, so a database not yet upgraded to the newest schema is checked too
    rows = session.execute(select(User.username, User.password_hash)
                           .where(User.username.in_(list(seeded)), User.active.is_(True)))
    return sorted(name for name, hash_ in rows if check_password_hash(hash_, seeded[name]))
