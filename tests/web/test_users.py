"""The users store (SQLite, argon2) and `hall user` through a real subprocess."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from hall_controller.web.users import UserError, UsersStore


def test_users_are_added_checked_and_removed_with_an_audit_trail(tmp_path):
    store = UsersStore(tmp_path / "users.db")
    assert stat.S_IMODE(os.stat(tmp_path / "users.db").st_mode) == 0o600
    store.add("wang", "supervisor", "a long password", by="cli:root")
    with contextlib.closing(sqlite3.connect(tmp_path / "users.db")) as db:
        row = db.execute("SELECT hash FROM users").fetchone()[0]
    assert row.startswith("$argon2id$") and "a long password" not in row
    assert store.verify("wang", "a long password").role == "supervisor"
    assert store.verify("wang", "a wrong password") is None
    assert store.verify("nobody", "a long password") is None
    with pytest.raises(UserError, match="already"):
        store.add("wang", "admin", "another password", by="cli:root")
    with pytest.raises(UserError, match="role"):
        store.add("li", "root", "another password", by="cli:root")
    with pytest.raises(UserError, match="at least 8"):
        store.add("li", "viewer", "short", by="cli:root")
    with pytest.raises(UserError, match="user name"):
        store.add("li; drop", "viewer", "another password", by="cli:root")
    assert [u.name for u in store.users()] == ["wang"]
    store.set_password("wang", "a newer password", by="admin")
    assert store.verify("wang", "a long password") is None and store.verify("wang", "a newer password")
    store.remove("wang", by="admin")
    assert store.get("wang") is None and store.count() == 0
    with pytest.raises(UserError, match="no user"):
        store.remove("wang", by="admin")
    actions = [(r.who, r.action, r.subject) for r in reversed(store.audit_rows())]
    assert actions == [
        ("cli:root", "user_added", "wang (supervisor)"),
        ("admin", "password_changed", "wang"),
        ("admin", "user_removed", "wang"),
    ]


def test_a_file_that_is_not_a_users_store_is_one_clear_error(tmp_path):
    bad = tmp_path / "users.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(UserError, match="not a users file"):
        UsersStore(bad)


def hall_user(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "hall_controller.users_cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_hall_user_add_list_passwd_remove_in_a_real_subprocess(tmp_path):
    users = tmp_path / "var" / "users.db"
    (tmp_path / "pw").write_text("first password 1\n")
    done = hall_user(
        "add", "zhao", "--role", "admin", "--password-file", str(tmp_path / "pw"), "--users", str(users), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "added zhao (admin)" in done.stdout
    assert UsersStore(users).verify("zhao", "first password 1").role == "admin"  # the newline is not part of it
    listed = hall_user("--users", str(users), "list", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.split()[:2] == ["zhao", "admin"]

    again = hall_user(
        "add", "zhao", "--role", "viewer", "--password-file", str(tmp_path / "pw"), "--users", str(users), cwd=tmp_path
    )
    assert again.returncode == 2 and "already a user 'zhao'" in again.stderr and again.stdout == ""
    no_tty = hall_user("add", "qian", "--role", "viewer", "--users", str(users), cwd=tmp_path)
    assert no_tty.returncode == 2 and "--password-file" in no_tty.stderr
    (tmp_path / "short").write_text("short\n")
    weak = hall_user("passwd", "zhao", "--password-file", str(tmp_path / "short"), "--users", str(users), cwd=tmp_path)
    assert weak.returncode == 2 and "at least 8" in weak.stderr
    assert UsersStore(users).verify("zhao", "first password 1")  # unchanged
    missing = hall_user(
        "add",
        "qian",
        "--role",
        "viewer",
        "--password-file",
        str(tmp_path / "nope"),
        "--users",
        str(users),
        cwd=tmp_path,
    )
    assert missing.returncode == 2 and "cannot read the password file" in missing.stderr

    (tmp_path / "pw2").write_text("second password 2")
    assert (
        hall_user(
            "passwd", "zhao", "--password-file", str(tmp_path / "pw2"), "--users", str(users), cwd=tmp_path
        ).returncode
        == 0
    )
    assert UsersStore(users).verify("zhao", "second password 2")
    assert hall_user("remove", "zhao", "--users", str(users), cwd=tmp_path).returncode == 0
    assert UsersStore(users).count() == 0
    audit = [(r.action, r.who.startswith("cli:")) for r in reversed(UsersStore(users).audit_rows())]
    assert audit == [("user_added", True), ("password_changed", True), ("user_removed", True)]
