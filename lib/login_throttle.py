"""Failed logins slow down: per account, per client and overall, across sessions, threads and restarts.

Plain Python (no streamlit). One ``LoginThrottle`` per server process
(``lib/ui/__init__.py`` keeps it with ``st.cache_resource``); its counts live in a small
JSON file, changed under a file lock, so that

- concurrent attempts cannot slip through: an attempt is *counted before* its
  password is checked, in the same locked step that checks the delays; a right
  password then clears the account's and the client's count;
- a restart (or a second server process) keeps the counts;
- delays grow (30 s, 60 s, 120 s … at most 15 min) but never become a
  permanent lock: the real owner can always try again once the delay is over;
- at most ``concurrent_checks`` password checks run at once in the process
  (an argon2 check takes ~64 MiB and a CPU core for a fraction of a second);
  excess attempts are answered « réessayez dans N s » without being checked.

Names and addresses are not written as such: the file holds keyed hashes (a
random salt of the file) and forgets an entry a day after its last failure.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import math
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from lib.access import User, Users, authenticate, normalise_name

STATE_SUFFIX = ".connexions.json"
PROXIES_ENV = "PASSERELLES_TRUSTED_PROXIES"


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many password checks pass before delays start, and how the delays grow.

    ``account_free`` failures on one name (from anywhere), or ``client_free``
    failures from one client (on any names: a password spray), are answered
    at once; each further failure doubles the delay before the next check on
    that name or from that client, from ``first_delay`` up to ``longest_delay``.
    Overall, at most ``global_limit`` checks start in any ``global_window``.
    """

    account_free: int = 3
    client_free: int = 10
    first_delay: float = 30.0
    longest_delay: float = 900.0
    global_limit: int = 30
    global_window: float = 60.0
    forget_after: float = 24 * 3600.0
    concurrent_checks: int = 2
    busy_retry: float = 2.0  # what a visitor is told when every check slot is taken

    def delay(self, failures: int, free: int) -> float:
        """The wait after ``failures`` failures when ``free`` of them cost nothing."""
        if failures < free:
            return 0.0
        return min(self.first_delay * 2.0 ** min(failures - free, 60), self.longest_delay)


@dataclass(frozen=True)
class LoginResult:
    """What became of an attempt: the user (right password), or why not and how long to wait."""

    user: User | None
    outcome: str  # "ok", "wrong" (checked, refused), "throttled" (not checked: delay), "busy" (not checked: slots)
    wait: float = 0.0  # seconds before the next attempt on this name / from this client may be checked
    reason: str = ""  # "compte", "client", "global" or "occupe" when not checked

    @property
    def checked(self) -> bool:
        return self.outcome in ("ok", "wrong")


def state_file_for(secrets_path: Path) -> Path:
    """Where the counts are kept: beside the secrets file (the accounts' file), else in the temp folder.

    Beside the secrets rather than in the data set: counts are about accounts, which live in the secrets
    file and are shared by every data set shown (the demo's folder is read-only, and ``PASSERELLES_DATA``
    may change between runs). When that folder is not writable (a secrets file mounted read-only), the
    system's temp folder keeps them across restarts of the app, not across reboots.
    """
    beside = secrets_path.with_name(secrets_path.name + STATE_SUFFIX)
    if os.access(beside.parent, os.W_OK):
        return beside
    digest = hashlib.sha256(str(secrets_path.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"passerelles-{digest}{STATE_SUFFIX}"


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: Iterable[str]) -> str:
    """The client's address: the connection's peer, or, when the peer is a configured reverse proxy, the
    last address of ``X-Forwarded-For`` that is not one of the proxies (earlier ones are the client's to forge).

    Streamlit gives ``None`` for a peer on localhost: it counts as ``127.0.0.1``.
    """
    trusted = {_canonical(p) for p in trusted_proxies if _canonical(p)}
    address = _canonical(peer or "127.0.0.1") or "inconnue"
    if address not in trusted or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        hop_address = _canonical(hop)
        if hop_address is None:
            return address  # garbage in the header: keep the proxy's own address rather than trust it
        if hop_address not in trusted:
            return hop_address
    return address


def trusted_proxies(secrets: dict, env: dict | None = None) -> list[str]:
    """The reverse proxies whose ``X-Forwarded-For`` is believed: ``$PASSERELLES_TRUSTED_PROXIES`` (commas),
    else ``trusted_proxies = [...]`` in the secrets file; none by default (the header is then ignored)."""
    env = os.environ if env is None else env
    if env.get(PROXIES_ENV):
        return [p.strip() for p in env[PROXIES_ENV].split(",") if p.strip()]
    listed = secrets.get("trusted_proxies", [])
    return [str(p) for p in listed] if isinstance(listed, list) else []


def _canonical(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        return None


class LoginThrottle:
    """Counts failed logins in a file (see the module's docstring); safe across threads and processes."""

    def __init__(self, path: Path, policy: ThrottlePolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path, self.policy, self.clock = Path(path), policy or ThrottlePolicy(), clock
        self._slots = threading.BoundedSemaphore(self.policy.concurrent_checks)
        self._thread_lock = threading.Lock()  # the file lock also serialises threads; this keeps it cheap

    # ------------------------------------------------------------------ the attempt

    def attempt(self, users: Users, name: str, password: str, client: str) -> LoginResult:
        """Check a login if the delays allow it; the attempt is counted as failed before the check."""
        if not self._slots.acquire(blocking=False):
            return LoginResult(None, "busy", self.policy.busy_retry, "occupe")
        try:
            reserved = self._reserve(name, client)
            if isinstance(reserved, LoginResult):
                return reserved
            user = authenticate(users, name, password)
            if user is not None:
                self._forget(name, client, reserved)
                return LoginResult(user, "ok")
            return LoginResult(None, "wrong", self.wait(name, client)[0])
        finally:
            self._slots.release()

    def wait(self, name: str, client: str) -> tuple[float, str]:
        """Seconds before an attempt on ``name`` from ``client`` may be checked, and which limit holds it."""
        with self._locked() as state:
            return self._wait_in(state, name, client, self.clock())

    # ------------------------------------------------------------------ state

    def _keys(self, state: dict, name: str, client: str) -> tuple[str, str]:
        salt = state["salt"].encode()
        digest = lambda kind, value: kind + ":" + hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()[:24]
        return digest("a", normalise_name(name)), digest("c", client)

    def _wait_in(self, state: dict, name: str, client: str, now: float) -> tuple[float, str]:
        policy = self.policy
        account, from_client = self._keys(state, name, client)
        waits = []
        for key, free, reason in ((account, policy.account_free, "compte"),
                                  (from_client, policy.client_free, "client")):
            failures, last = state["entries"].get(key, (0, 0.0))
            waits.append((last + policy.delay(failures, free) - now, reason))
        recent = [t for t in state["recent"] if t > now - policy.global_window]
        if len(recent) >= policy.global_limit:
            waits.append((recent[-policy.global_limit] + policy.global_window - now, "global"))
        wait, reason = max(waits)
        return (max(0.0, wait), reason) if wait > 0 else (0.0, "")

    def _reserve(self, name: str, client: str) -> LoginResult | float:
        """Under the lock: refuse when a delay holds, else count the attempt as failed (a right password undoes it).

        Returns the refusal, or the time the attempt was counted at (for :meth:`_forget`).
        """
        with self._locked(write=True) as state:
            now = self.clock()
            wait, reason = self._wait_in(state, name, client, now)
            if wait > 0:
                return LoginResult(None, "throttled", wait, reason)
            for key in self._keys(state, name, client):
                failures, _last = state["entries"].get(key, (0, 0.0))
                state["entries"][key] = (failures + 1, now)
            state["recent"] = [t for t in state["recent"] if t > now - self.policy.global_window] + [now]
        return now

    def _forget(self, name: str, client: str, counted_at: float) -> None:
        """A right password: the account's and the client's failures are cleared, and the overall window no
        longer counts this attempt (the global limit slows failed checks, not a room of people logging in)."""
        with self._locked(write=True) as state:
            for key in self._keys(state, name, client):
                state["entries"].pop(key, None)
            if counted_at in state["recent"]:
                state["recent"].remove(counted_at)

    def _locked(self, write: bool = False):
        return _LockedState(self, write)

    def _load(self) -> dict:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            state = {"salt": str(raw["salt"]),
                     "entries": {str(k): (int(v[0]), float(v[1])) for k, v in raw["entries"].items()},
                     "recent": sorted(float(t) for t in raw["recent"])}
        except FileNotFoundError:
            state = {"salt": secrets.token_hex(16), "entries": {}, "recent": []}
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            # A damaged file must not open the door: start again, and say so to the administrator.
            print(f"passerelles: {self.path}: compteur de connexions illisible ({error}), remis à zéro",
                  file=sys.stderr)
            state = {"salt": secrets.token_hex(16), "entries": {}, "recent": []}
        now = self.clock()
        state["entries"] = {k: v for k, v in state["entries"].items() if v[1] > now - self.policy.forget_after}
        return state

    def _save(self, state: dict) -> None:
        text = json.dumps({"salt": state["salt"], "entries": state["entries"], "recent": state["recent"]})
        temp = self.path.with_name(f".{self.path.name}.tmp")
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, self.path)


class _LockedState:
    """``with throttle._locked(write) as state``: the file's state under the thread and file locks."""

    def __init__(self, throttle: LoginThrottle, write: bool) -> None:
        self.throttle, self.write = throttle, write
        self.file_lock = FileLock(str(throttle.path) + ".lock", timeout=10)

    def __enter__(self) -> dict:
        self.throttle._thread_lock.acquire()
        try:
            self.throttle.path.parent.mkdir(parents=True, exist_ok=True)
            self.file_lock.acquire()
        except (Timeout, OSError):
            self.throttle._thread_lock.release()
            raise
        self.state = self.throttle._load()
        return self.state

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if self.write and kind is None:
                self.throttle._save(self.state)
        finally:
            self.file_lock.release()
            self.throttle._thread_lock.release()


def wait_message(result: LoginResult) -> str:
    """What a refused attempt is told (French)."""
    seconds = math.ceil(result.wait)
    if result.reason == "compte":
        return f"Trop d'essais manqués : cet identifiant est bloqué encore {seconds} s, réessayez ensuite."
    if result.reason == "client":
        return f"Trop d'essais manqués depuis cette connexion : réessayez dans {seconds} s."
    return f"Trop de tentatives de connexion en ce moment : réessayez dans {seconds} s."
