"""The login throttle: atomic under concurrent attempts, per account, per client and overall, kept across restarts,
growing delays that always end, a bound on concurrent password checks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

import lib.login_throttle as login_throttle
from lib.access import users_from_secrets
from lib.login_throttle import (LoginThrottle, ThrottlePolicy, client_address, state_file_for, trusted_proxies,
                                wait_message)

_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # cheap: tests, not production
USERS = users_from_secrets({"users": {
    "caf95": {"role": "financeur", "password_hash": _HASHER.hash("le-vrai-mot-de-passe")},
    "comite": {"role": "pilotage", "password_hash": _HASHER.hash("celui-du-comite")},
}})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def counting_checks(monkeypatch) -> list[str]:
    """Every password actually checked (argon2 called), in order."""
    checked: list[str] = []
    real = login_throttle.authenticate

    def spy(users, name, password):
        checked.append(name)
        return real(users, name, password)

    monkeypatch.setattr(login_throttle, "authenticate", spy)
    return checked


def test_fifty_concurrent_wrong_logins_check_no_more_passwords_than_the_policy_allows(tmp_path, monkeypatch):
    checked = counting_checks(monkeypatch)
    policy = ThrottlePolicy(account_free=3, concurrent_checks=50)  # every thread may reach the password check
    throttle = LoginThrottle(tmp_path / "c.json", policy)
    start = threading.Barrier(50)

    def guess(index: int):
        start.wait()
        return throttle.attempt(USERS, "caf95", f"essai-{index}", "203.0.113.7")

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(guess, range(50)))
    assert len(checked) == policy.account_free == sum(r.checked for r in results)
    assert all(r.outcome == "throttled" and r.wait > 0 for r in results if not r.checked)
    # Separate processes share the file: a new throttle object sees the same count.
    assert LoginThrottle(tmp_path / "c.json", policy).wait("caf95", "198.51.100.1")[0] > 0


def test_concurrent_checks_are_bounded_excess_attempts_are_told_to_wait(tmp_path, monkeypatch):
    inside, release = threading.Semaphore(0), threading.Event()
    real = login_throttle.authenticate

    def slow(users, name, password):
        inside.release()
        release.wait(10)
        return real(users, name, password)

    monkeypatch.setattr(login_throttle, "authenticate", slow)
    throttle = LoginThrottle(tmp_path / "c.json", ThrottlePolicy(concurrent_checks=2, client_free=100))
    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(throttle.attempt, USERS, f"nom{i}", "x", f"192.0.2.{i}") for i in range(2)]
        assert inside.acquire(timeout=10) and inside.acquire(timeout=10)  # both slots taken
        refused = throttle.attempt(USERS, "caf95", "le-vrai-mot-de-passe", "192.0.2.9")
        release.set()
        assert [f.result().outcome for f in running] == ["wrong", "wrong"]
    assert refused.outcome == "busy" and not refused.checked
    assert wait_message(refused) == "Trop de tentatives de connexion en ce moment : réessayez dans 2 s."
    assert throttle.attempt(USERS, "caf95", "le-vrai-mot-de-passe", "192.0.2.9").outcome == "ok"  # not counted


def test_a_restart_keeps_the_count(tmp_path, clock):
    path = tmp_path / "c.json"
    for _ in range(3):
        assert LoginThrottle(path, clock=clock).attempt(USERS, "caf95", "faux", "203.0.113.7").outcome == "wrong"
    restarted = LoginThrottle(path, clock=clock)
    result = restarted.attempt(USERS, "caf95", "le-vrai-mot-de-passe", "198.51.100.2")
    assert result.outcome == "throttled" and result.reason == "compte" and result.wait == 30
    assert "bloqué encore 30 s" in wait_message(result)
    assert "caf95" not in path.read_text() and "203.0.113.7" not in path.read_text()  # keyed hashes only


def test_delays_grow_but_the_owner_gets_in_after_the_delay(tmp_path, clock):
    throttle = LoginThrottle(tmp_path / "c.json", ThrottlePolicy(longest_delay=120), clock=clock)
    attacker, owner = "203.0.113.7", "198.51.100.2"
    waits = []
    for _ in range(6):
        result = throttle.attempt(USERS, "caf95", "faux", attacker)
        assert result.checked
        waits.append(result.wait)
        clock.now += result.wait
    assert waits == [0, 0, 30, 60, 120, 120]  # growing, then capped: never a permanent lock
    result = throttle.attempt(USERS, "caf95", "faux", attacker)  # the attacker keeps the account delayed …
    clock.now += result.wait - 1
    assert throttle.attempt(USERS, "caf95", "le-vrai-mot-de-passe", owner).outcome == "throttled"
    clock.now += 1  # … but once the delay is over, the owner gets in
    assert throttle.attempt(USERS, "caf95", "le-vrai-mot-de-passe", owner).outcome == "ok"
    assert throttle.wait("caf95", owner) == (0.0, "")  # and the count starts again


def test_a_password_spray_from_one_client_is_slowed_down(tmp_path, clock):
    throttle = LoginThrottle(tmp_path / "c.json", ThrottlePolicy(client_free=10), clock=clock)
    outcomes = [throttle.attempt(USERS, f"nom{i}", "Printemps2024", "203.0.113.7").outcome for i in range(12)]
    assert outcomes == ["wrong"] * 10 + ["throttled"] * 2  # one guess per name, yet the client is held
    held = throttle.attempt(USERS, "comite", "celui-du-comite", "203.0.113.7")
    assert held.reason == "client" and "depuis cette connexion" in wait_message(held)
    assert throttle.attempt(USERS, "comite", "celui-du-comite", "198.51.100.2").outcome == "ok"  # others are not


def test_the_global_limit_holds_many_clients(tmp_path, clock):
    throttle = LoginThrottle(tmp_path / "c.json", ThrottlePolicy(global_limit=5, global_window=60), clock=clock)
    outcomes = [throttle.attempt(USERS, f"nom{i}", "x", f"192.0.2.{i}").outcome for i in range(7)]
    assert outcomes == ["wrong"] * 5 + ["throttled"] * 2
    result = throttle.attempt(USERS, "caf95", "le-vrai-mot-de-passe", "198.51.100.2")
    assert result.reason == "global" and 0 < result.wait <= 60
    clock.now += 60
    assert throttle.attempt(USERS, "caf95", "le-vrai-mot-de-passe", "198.51.100.2").outcome == "ok"


def test_a_damaged_count_file_starts_again_without_opening_the_door(tmp_path, clock, capsys):
    path = tmp_path / "c.json"
    path.write_text("{pas du json", encoding="utf-8")
    throttle = LoginThrottle(path, clock=clock)
    assert [throttle.attempt(USERS, "caf95", "faux", "192.0.2.1").outcome for _ in range(4)][-1] == "throttled"
    assert "illisible" in capsys.readouterr().err


def test_forwarded_for_is_believed_only_from_the_configured_proxy():
    assert client_address("203.0.113.7", "1.2.3.4", []) == "203.0.113.7"
    assert client_address(None, "1.2.3.4", []) == "127.0.0.1"
    proxy = ["127.0.0.1"]
    assert client_address(None, "1.2.3.4", proxy) == "1.2.3.4"
    assert client_address(None, "6.6.6.6, 1.2.3.4", proxy) == "1.2.3.4"  # the first hop is the client's to forge
    assert client_address(None, "1.2.3.4, 127.0.0.1", proxy) == "1.2.3.4"
    assert client_address(None, "pas-une-adresse", proxy) == "127.0.0.1"
    assert client_address("203.0.113.7", "1.2.3.4", proxy) == "203.0.113.7"  # not from the proxy
    assert trusted_proxies({"trusted_proxies": ["10.0.0.2"]}, {}) == ["10.0.0.2"]
    assert trusted_proxies({"trusted_proxies": ["10.0.0.2"]}, {"PASSERELLES_TRUSTED_PROXIES": "::1, 127.0.0.1"}) == [
        "::1", "127.0.0.1"]
    assert trusted_proxies({}, {}) == []


def test_counts_live_beside_the_secrets_or_in_the_temp_folder(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    assert state_file_for(secrets) == tmp_path / "secrets.toml.connexions.json"
    monkeypatch.setattr(login_throttle.os, "access", lambda path, mode: False)  # a read-only mount
    elsewhere = state_file_for(secrets)
    assert elsewhere.parent != tmp_path and elsewhere == state_file_for(secrets)  # the same file after a restart


def test_a_room_logging_in_does_not_use_up_the_global_limit(tmp_path, clock):
    """Right passwords are not failed checks: twenty people logging in within the window are all let in."""
    throttle = LoginThrottle(tmp_path / "c.json", ThrottlePolicy(global_limit=5, global_window=60), clock=clock)
    outcomes = [throttle.attempt(USERS, "caf95", "le-vrai-mot-de-passe", f"192.0.2.{i}").outcome for i in range(20)]
    assert outcomes == ["ok"] * 20
    assert [throttle.attempt(USERS, f"nom{i}", "x", f"198.51.100.{i}").outcome for i in range(6)] == \
        ["wrong"] * 5 + ["throttled"]  # failed checks still count
