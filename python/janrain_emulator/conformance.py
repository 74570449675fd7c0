"""Conformance checks of the client-management APIs, against any tenant: the emulator or the
real service.

    python -m janrain_emulator.conformance --capture-url URL --config-url URL \\
        --app-id ID --client-id ID --client-secret SECRET [--auth all] [--json FILE] [--read-only]
        [--record FILE | --replay FILE]

Each check makes the calls a client library would make and compares the answer with the
documented behaviour: success shapes and field names, error codes and texts, status codes, the
owner rule, the allowlist, signed requests, one client seen by both families, secret rotation,
settings. The result is a table (matched, differed, not run) and, for each difference, the
request with the expected and the received body side by side; ``--json`` writes the same as
data. The exit status is 0 only when everything that ran matched; 2 when the run could not start
(credentials refused, caller not an owner).

``--record FILE`` keeps every call of every check and the tenant's answer (status, content type,
body), with secrets, client ids, the run's prefix, the application id, request ids and times
replaced by placeholders, so that the file can be committed. ``--replay FILE`` runs the same
checks against any target and compares each answer with the recorded one, field by field after
the same placeholders: a table of matched, differed and not in the recording, and exit status 1
on a difference. Record once against a development tenant, replay in CI against the emulator.

Safe against a real tenant: it creates only clients and settings whose names start with a unique
prefix (``conformance-<random>-``), deletes them at the end even when interrupted or when a check
fails, never changes anything else, and never prints a secret. ``--read-only`` only lists and
reads. Checks that need time to pass run only against the emulator, whose clock they move
(``POST /__emulator/clock``); against a real tenant they are reported as not run. Where a check
covers a choice the emulator made because the sources leave it open (its ``docs/quirks.md``),
the check says so: a real tenant's answer settles it.

Standard library only; runs from a checkout too (``PYTHONPATH=python``).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

HIDDEN = "(hidden)"
AUTH_FORMS = ("basic", "signed", "params")


class Refused(Exception):
    """The run cannot start: the target refused the caller."""


@dataclass
class Call:
    """One request and its answer, as a difference shows it."""

    method: str
    url: str
    params: Any
    status: int
    body: Any


@dataclass
class Result:
    check: str
    family: str
    outcome: str  # matched, differed, not run
    note: str = ""
    quirk: bool = False
    emulator_only: bool = False
    request: Optional[Dict[str, Any]] = None
    expected: Any = None
    received: Any = None


class Differed(Exception):
    def __init__(self, expected: Any, received: Any, call: Optional[Call], note: str = ""):
        super().__init__(note)
        self.expected = expected
        self.received = received
        self.call = call
        self.note = note


class NotRun(Exception):
    pass


@dataclass
class Credentials:
    client_id: str
    client_secret: str


class Target:
    """The tenant under test and the calls the checks make."""

    def __init__(self, capture_url: str, config_url: str, app_id: str, owner: Credentials):
        self.capture_url = capture_url.rstrip("/")
        self.config_url = config_url.rstrip("/")
        self.app_id = app_id
        self.owner = owner
        self.secrets = {owner.client_secret}
        self.last: Optional[Call] = None
        self.content_type: Optional[str] = None
        # Set by --record and --replay: every call of a check, kept with placeholders.
        self.recorder: Optional[Recorder] = None
        self.emulator = self._detect_emulator()

    def _detect_emulator(self) -> Optional[Dict[str, Any]]:
        try:
            status, body = self._send("GET", f"{self.capture_url}/__emulator/info", None, {})
        except OSError:
            return None
        return body if status == 200 and isinstance(body, dict) and "version" in body else None

    def remember(self, secret: Optional[str]) -> None:
        """A secret seen during the run, hidden wherever the run prints."""
        if secret:
            self.secrets.add(secret)

    def _send(self, method: str, url: str, data: Optional[bytes], headers: Dict[str, str]) -> Tuple[int, Any]:
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
                self.content_type = response.headers.get("Content-Type")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
            self.content_type = error.headers.get("Content-Type")
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text
        return status, body

    def legacy(self, path: str, params: Optional[Dict[str, str]] = None, auth: str = "basic",
               who: Optional[Credentials] = None, date: Optional[str] = None) -> Tuple[int, Any]:
        """A legacy call, POSTed as a form, with credentials in the given form; a signed one is
        dated `date` (default: now, on the target's clock)."""
        who = who or self.owner
        params = dict(params or {})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth == "basic":
            token = base64.b64encode(f"{who.client_id}:{who.client_secret}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
            form = params
        elif auth == "params":
            form = {"client_id": who.client_id, "client_secret": who.client_secret, **params}
        elif auth == "signed":
            date = date or self.signing_date()
            lines = sorted(f"{k}={v}" for k, v in params.items())
            text = f"{path}\n{date}\n" + "".join(line + "\n" for line in lines)
            digest = hmac.new(who.client_secret.encode(), text.encode(), hashlib.sha1).digest()
            headers["Authorization"] = f"Signature {who.client_id}:{base64.b64encode(digest).decode()}"
            headers["Date"] = date
            form = params
        else:
            raise ValueError(auth)
        url = f"{self.capture_url}{path}"
        status, body = self._send("POST", url, urllib.parse.urlencode(form).encode(), headers)
        self.last = Call("POST", url, {"auth": auth, **params}, status, body)
        if self.recorder:
            self.recorder.add(self, {"method": "POST", "path": path, "params": {"auth": auth, **params}},
                              status, body)
        return status, body

    def signing_date(self) -> str:
        """The `Date` of a signed request: the emulator's clock (which checks may move), else now."""
        now = datetime.datetime.now(datetime.timezone.utc)
        if self.emulator:
            status, clock = self._send("GET", f"{self.capture_url}/__emulator/clock", None, {})
            if status == 200:
                # RFC 3339 in UTC; whole seconds are all a signed Date carries.
                now = datetime.datetime.fromisoformat(clock["now"][:19]).replace(tzinfo=datetime.timezone.utc)
        return now.strftime("%Y-%m-%d %H:%M:%S")

    def config(self, method: str, path: str, body: Any = None, who: Optional[Credentials] = None) -> Tuple[int, Any]:
        """A Configuration API call under `/config/{appId}`."""
        who = who or self.owner
        token = base64.b64encode(f"{who.client_id}:{who.client_secret}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = f"{self.config_url}/config/{self.app_id}{path}"
        status, answer = self._send(method, url, data, headers)
        self.last = Call(method, url, body, status, answer)
        if self.recorder:
            self.recorder.add(self, {"method": method, "path": f"/config/{self.app_id}{path}", "body": body},
                              status, answer)
        return status, answer

    def move_clock(self, **change: Any) -> None:
        """Emulator only: `POST /__emulator/clock`."""
        data = json.dumps(change).encode()
        self._send("POST", f"{self.capture_url}/__emulator/clock", data, {"Content-Type": "application/json"})


class Run:
    """The checks, what they created (to delete it), and their results."""

    def __init__(self, target: Target, forms: List[str], read_only: bool, progress: Callable[[str], None]):
        self.target = target
        self.forms = forms
        self.read_only = read_only
        self.progress = progress
        self.prefix = f"conformance-{secrets.token_hex(4)}-"
        self.created: List[str] = []
        self.default_keys: List[str] = []
        self.results: List[Result] = []
        self.clock_moved = False

    # Helpers for checks -------------------------------------------------------------------

    def name(self, what: str) -> str:
        return f"{self.prefix}{what}"

    def add_client(self, what: str, features: Optional[List[str]] = None) -> Dict[str, Any]:
        params = {"description": self.name(what)}
        if features is not None:
            params["features"] = json.dumps(features)
        status, body = self.target.legacy("/clients/add", params)
        expect(status == 200 and isinstance(body, dict) and body.get("stat") == "ok",
               {"stat": "ok"}, body, self.target.last, "a client could not be created")
        self.created.append(body["client_id"])
        self.target.remember(body.get("client_secret"))
        self.progress(f"created {self.name(what)} ({body['client_id']})")
        return body

    def cleanup(self) -> List[str]:
        """Deletes what the run created; returns what could not be deleted."""
        left = []
        for client_id in reversed(self.created):
            status, body = self.target.legacy("/clients/delete", {"client_id_for_deletion": client_id})
            gone = status == 200 and isinstance(body, dict) and (
                body.get("stat") == "ok" or body.get("argument_name") == "client_id_for_deletion")
            if not gone:
                left.append(client_id)
        self.created.clear()
        for key in self.default_keys:
            self.target.legacy("/settings/delete_default", {"key": key})
        self.default_keys.clear()
        if self.clock_moved:
            self.target.move_clock(system=True)
            self.clock_moved = False
        return left

    # Running ------------------------------------------------------------------------------

    def check(self, name: str, family: str, body: Callable[[], None], *, writes: bool = True,
              quirk: bool = False, needs_time: bool = False) -> None:
        # A check that needs time to pass moves the emulator's clock: only the emulator can make it.
        emulator_only = needs_time
        self.progress(f"running {name}")
        result = Result(check=name, family=family, outcome="matched", quirk=quirk, emulator_only=emulator_only)
        if writes and self.read_only:
            result.outcome, result.note = "not run", "writes (--read-only)"
        elif emulator_only and not self.target.emulator:
            result.outcome = "not run"
            result.note = "needs time to pass, which only the emulator's clock can do"
        else:
            recorder = self.target.recorder
            if recorder:
                recorder.begin(name)
            try:
                body()
            except Differed as difference:
                result.outcome = "differed"
                result.note = difference.note
                result.expected = difference.expected
                result.received = difference.received
                if difference.call:
                    result.request = {"method": difference.call.method, "url": difference.call.url,
                                      "params": difference.call.params, "status": difference.call.status}
            except NotRun as reason:
                result.outcome, result.note = "not run", str(reason)
            finally:
                if recorder:
                    recorder.end()
        if quirk and result.outcome == "matched":
            result.note = (result.note + "; " if result.note else "") + "the emulator's choice (docs/quirks.md)"
        self.results.append(result)


def expect(condition: bool, expected: Any, received: Any, call: Optional[Call], note: str = "") -> None:
    if not condition:
        raise Differed(expected, received, call, note)


def expect_error(target: Target, status: int, body: Any, code: int, error: str,
                 description: Optional[str] = None, argument: Optional[str] = None) -> None:
    """A legacy error envelope: HTTP 200, `stat: error`, the code and name (and text)."""
    want: Dict[str, Any] = {"stat": "error", "code": code, "error": error}
    if description is not None:
        want["error_description"] = description
    if argument is not None:
        want["argument_name"] = argument
    got = body if isinstance(body, dict) else {}
    same = status == 200 and all(got.get(k) == v for k, v in want.items())
    request_id = got.get("request_id", "")
    same = same and isinstance(request_id, str) and len(request_id) == 16
    expect(same, {**want, "request_id": "<16 characters>", "http_status": 200},
           {**{k: got.get(k) for k in list(want) + ["request_id"]}, "http_status": status}, target.last)


def expect_errors(target: Target, status: int, body: Any, want_status: int, text: str) -> None:
    """A Configuration API error: the status and `{"errors": text}`."""
    expect(status == want_status and body == {"errors": text},
           {"status": want_status, "body": {"errors": text}}, {"status": status, "body": body}, target.last)


LISTED_FIELDS = ["client_id", "client_secret", "description", "whitelist", "features"]
CONFIG_FIELDS = ["_id", "_secret", "_self", "_settings", "features", "ipWhitelist", "name"]


def legacy_checks(run: Run, form: str) -> None:
    t = run.target
    family = f"legacy ({form})"

    def listing() -> None:
        status, body = t.legacy("/clients/list", {}, form)
        ok = status == 200 and isinstance(body, dict) and body.get("stat") == "ok" and isinstance(body.get("results"), list)
        expect(ok, {"stat": "ok", "results": "[...]"}, body, t.last)
        for client in body["results"]:
            t.remember(client.get("client_secret"))
            expect(sorted(client) == sorted(LISTED_FIELDS), LISTED_FIELDS, sorted(client), t.last,
                   "the fields of a listed client")
        expect(any(c["client_id"] == t.owner.client_id for c in body["results"]),
               "the caller among the results", [c["client_id"] for c in body["results"]], t.last)
    run.check(f"clients/list: fields of each client [{form}]", family, listing, writes=False)

    def bad_filter() -> None:
        status, body = t.legacy("/clients/list", {"has_features": "not json"}, form)
        expect_error(t, status, body, 200, "invalid_argument",
                     "has_features was not valid for the following reason: the JSON is not syntactically valid",
                     "has_features")
    run.check(f"clients/list: has_features that is not JSON [{form}]", family, bad_filter, writes=False)

    def add() -> None:
        status, body = t.legacy("/clients/add", {"description": run.name(f"add-{form}"),
                                                 "features": '["direct_read_access"]'}, form)
        ok = status == 200 and isinstance(body, dict) and body.get("stat") == "ok"
        expect(ok, {"stat": "ok"}, body, t.last)
        run.created.append(body["client_id"])
        t.remember(body.get("client_secret"))
        expect(body.get("features") == ["direct_read_access"] and body.get("description") == run.name(f"add-{form}")
               and len(body.get("client_id", "")) == 32 and len(body.get("client_secret", "")) == 32,
               {"features": ["direct_read_access"], "description": run.name(f"add-{form}"),
                "client_id": "<32 characters>", "client_secret": "<32 characters>", "stat": "ok"}, body, t.last)
    run.check(f"clients/add: the documented answer [{form}]", family, add)

    def add_missing() -> None:
        status, body = t.legacy("/clients/add", {}, form)
        expect_error(t, status, body, 100, "missing_argument", "missing required argument: description", "description")
    run.check(f"clients/add: no description [{form}]", family, add_missing, quirk=True)

    def add_bad_feature() -> None:
        status, body = t.legacy("/clients/add", {"description": run.name("bad-feature"),
                                                 "features": '["superuser_owner"]'}, form)
        if isinstance(body, dict) and body.get("stat") == "ok":
            run.created.append(body["client_id"])
        expect_error(t, status, body, 200, "invalid_argument",
                     "features was not valid for the following reason: superuser_owner is not a valid feature name",
                     "features")
    run.check(f"clients/add: an unknown feature [{form}]", family, add_bad_feature)

    def unknown_target() -> None:
        status, body = t.legacy("/clients/set_description",
                                {"for_client_id": "nosuchclient0000000000000000000", "description": "x"}, form)
        expect_error(t, status, body, 200, "invalid_argument",
                     "for_client_id was not valid for the following reason: for_client_id is not a valid id",
                     "for_client_id")
        status, body = t.legacy("/clients/delete", {"client_id_for_deletion": "nosuchclient0000000000000000000"}, form)
        expect_error(t, status, body, 200, "invalid_argument",
                     "client_id_for_deletion was not valid for the following reason: "
                     "client_id_for_deletion is not a valid id", "client_id_for_deletion")
    run.check(f"unknown client ids in for_client_id and client_id_for_deletion [{form}]", family, unknown_target)


def one_time_checks(run: Run) -> None:
    """Checks that do not depend on the credential form."""
    t = run.target

    def wrong_secret() -> None:
        wrong = Credentials(t.owner.client_id, "not-the-secret-" + secrets.token_hex(4))
        status, body = t.legacy("/clients/list", {}, "basic", wrong)
        expect_error(t, status, body, 402, "invalid_client_credentials")
        status, body = t.config("GET", "/clients", None, wrong)
        expect_errors(t, status, body, 401, "Authentication required.")
    run.check("a wrong secret: legacy 402, Configuration API 401", "both", wrong_secret, writes=False)

    def changes() -> None:
        made = run.add_client("changed")
        cid = made["client_id"]
        for path, params in [
            ("/clients/set_description", {"for_client_id": cid, "description": run.name("renamed")}),
            ("/clients/set_features", {"for_client_id": cid, "features": '["direct_access", "access_issuer"]'}),
            ("/clients/set_whitelist", {"for_client_id": cid, "whitelist": '["10.0.0.0/8", "192.168.1.0/24"]'}),
        ]:
            status, body = t.legacy(path, params)
            expect(status == 200 and body == {"stat": "ok"}, {"stat": "ok"}, body, t.last, path)
        status, body = t.legacy("/clients/list")
        listed = next((c for c in body.get("results", []) if c["client_id"] == cid), None)
        want = {"client_id": cid, "client_secret": made["client_secret"], "description": run.name("renamed"),
                "whitelist": ["10.0.0.0/8", "192.168.1.0/24"], "features": ["direct_access", "access_issuer"]}
        expect(listed == want, want, listed, t.last, "the client as listed after the changes")
        status, body = t.legacy("/clients/clear_whitelist", {"for_client_id": cid})
        expect(body == {"stat": "ok"}, {"stat": "ok"}, body, t.last)
        status, body = t.legacy("/clients/set_whitelist", {"for_client_id": cid, "whitelist": '["10.0.0.0/33"]'})
        expect_error(t, status, body, 200, "invalid_argument",
                     "whitelist was not valid for the following reason: invalid cidr address: 10.0.0.0/33; "
                     "value after slash must be 32 or less", "whitelist")
    run.check("set_description, set_features, set_whitelist, clear_whitelist", "legacy", changes)

    def owner_rule() -> None:
        made = run.add_client("not-an-owner", ["direct_access"])
        who = Credentials(made["client_id"], made["client_secret"])
        status, body = t.legacy("/clients/list", {}, "basic", who)
        expect_error(t, status, body, 403, "client_permission_error",
                     "the provided client does not have authorization for this action")
        status, body = t.config("GET", "/clients", None, who)
        expect(status == 403 and isinstance(body, dict) and "errors" in body,
               {"status": 403, "body": {"errors": "..."}}, {"status": status, "body": body}, t.last)
    run.check("only owner clients manage clients", "both", owner_rule)

    def allowlist() -> None:
        made = run.add_client("fenced-owner", ["owner"])
        cid = made["client_id"]
        # 192.0.2.0/24 is reserved for documentation: no caller is in it.
        status, body = t.legacy("/clients/set_whitelist", {"for_client_id": cid, "whitelist": '["192.0.2.0/24"]'})
        expect(body == {"stat": "ok"}, {"stat": "ok"}, body, t.last)
        status, body = t.legacy("/clients/list", {}, "basic", Credentials(cid, made["client_secret"]))
        expect_error(t, status, body, 403, "client_permission_error")
    run.check("the calling client's allowlist is checked", "legacy", allowlist)

    def cross_family() -> None:
        made = run.add_client("both-families", ["login_client"])
        status, body = t.config("GET", f"/clients/{made['client_id']}")
        want = {"_id": made["client_id"], "_secret": made["client_secret"], "name": run.name("both-families"),
                "features": ["login_client"], "ipWhitelist": ["0.0.0.0/0"],
                "_self": f"/config/{t.app_id}/clients/{made['client_id']}",
                "_settings": f"/config/{t.app_id}/clients/{made['client_id']}/settings"}
        expect(status == 200 and body == want, want, body, t.last)
        status, body = t.config("PUT", f"/clients/{made['client_id']}",
                                {"name": run.name("renamed-by-config"), "features": ["direct_access"],
                                 "ipWhitelist": ["10.0.0.0/8"]})
        expect(status == 200, 200, status, t.last)
        status, body = t.legacy("/clients/list")
        listed = next((c for c in body.get("results", []) if c["client_id"] == made["client_id"]), {})
        expect(listed.get("description") == run.name("renamed-by-config") and listed.get("whitelist") == ["10.0.0.0/8"]
               and listed.get("features") == ["direct_access"],
               {"description": run.name("renamed-by-config"), "whitelist": ["10.0.0.0/8"], "features": ["direct_access"]},
               listed, t.last, "the legacy listing after a Configuration API PUT")
    run.check("one client in both families (description = name, whitelist = ipWhitelist)", "both", cross_family)

    def config_listing() -> None:
        status, body = t.config("GET", "/clients")
        expect(status == 200 and isinstance(body, list), {"status": 200, "body": "[...]"}, {"status": status}, t.last)
        for client in body:
            t.remember(client.get("_secret"))
            expect(sorted(client) == sorted(CONFIG_FIELDS), CONFIG_FIELDS, sorted(client), t.last)
        status, body = t.config("GET", "/clients?has_feature=owner&has_feature=not_a_feature")
        expect_errors(t, status, body, 400, "Not a valid feature name.")
    run.check("Configuration API: the fields of a listing, and a bad has_feature", "config", config_listing,
              writes=False, quirk=True)

    def config_create() -> None:
        body_in = {"name": run.name("config-created"), "features": ["direct_read_access"], "ipWhitelist": ["0.0.0.0/0"]}
        status, body = t.config("POST", "/clients", body_in)
        if isinstance(body, dict) and "_id" in body:
            run.created.append(body["_id"])
            t.remember(body.get("_secret"))
        expect(status == 201 and isinstance(body, dict) and sorted(body) == sorted(CONFIG_FIELDS)
               and body.get("name") == body_in["name"],
               {"status": 201, "fields": CONFIG_FIELDS}, {"status": status, "body": body}, t.last)
        status, again = t.config("POST", "/clients", {"name": body_in["name"]})
        expect_errors(t, status, again, 409, f"API client {body_in['name']} already exists.")
        status, missing = t.config("POST", "/clients", {"features": []})
        expect_errors(t, status, missing, 400, "Missing data for required field.")
        status, unknown = t.config("GET", "/clients/nosuchclient0000000000000000000")
        expect_errors(t, status, unknown, 404, "Client ID not found.")
    run.check("Configuration API: create, a taken name, a missing name, an unknown id", "config", config_create)

    def rotation() -> None:
        made = run.add_client("rotated", ["owner"])
        old = Credentials(made["client_id"], made["client_secret"])
        status, body = t.legacy("/clients/reset_secret", {"for_client_id": made["client_id"], "hours_to_live": "1"})
        expect(status == 200 and isinstance(body, dict) and len(body.get("new_secret", "")) == 32,
               {"new_secret": "<32 characters>", "stat": "ok"}, body, t.last)
        t.remember(body["new_secret"])
        new = Credentials(made["client_id"], body["new_secret"])
        for who, label in [(new, "the new secret"), (old, "the old secret, in its grace period")]:
            status, body = t.legacy("/clients/list", {}, "basic", who)
            expect(isinstance(body, dict) and body.get("stat") == "ok", {"stat": "ok"}, body, t.last, label)
    run.check("reset_secret: the new secret works, the old one during its grace period", "legacy", rotation)

    def grace_ends() -> None:
        made = run.add_client("grace", ["owner"])
        old = Credentials(made["client_id"], made["client_secret"])
        t.legacy("/clients/reset_secret", {"for_client_id": made["client_id"], "hours_to_live": "1"})
        run.clock_moved = True
        t.move_clock(advance_secs=3600)
        status, body = t.legacy("/clients/list", {}, "basic", old)
        expect_error(t, status, body, 402, "invalid_client_credentials")
    run.check("reset_secret: the old secret stops at the end of its grace period", "legacy", grace_ends,
              needs_time=True)

    def signature_window() -> None:
        status, body = t.legacy("/clients/list", {}, "signed")
        expect(isinstance(body, dict) and body.get("stat") == "ok", {"stat": "ok"}, body, t.last)
        run.clock_moved = True
        # The request's Date stays put while the emulator's clock moves 16 minutes on.
        date = t.signing_date()
        t.move_clock(advance_secs=16 * 60)
        status, body = t.legacy("/clients/list", {}, "signed", date=date)
        expect_error(t, status, body, 402, "invalid_client_credentials")
    run.check("janrain-signed: a Date 16 minutes off is refused", "legacy", signature_window, needs_time=True,
              writes=False, quirk=True)

    def settings_legacy() -> None:
        made = run.add_client("settings")
        cid = made["client_id"]
        key = run.name("key")
        run.default_keys.append(key)
        steps = [
            ("/settings/set_default", {"key": key, "value": "default"}, False),
            ("/settings/get", {"key": key, "for_client_id": cid}, "default"),
            ("/settings/set", {"key": key, "value": "own", "for_client_id": cid}, False),
            ("/settings/set", {"key": key, "value": "own 2", "for_client_id": cid}, True),
            ("/settings/get", {"key": key, "for_client_id": cid}, "own 2"),
            ("/settings/get_default", {"key": key}, "default"),
            ("/settings/items", {"for_client_id": cid}, None),
            ("/settings/delete", {"key": key, "for_client_id": cid}, True),
            ("/settings/get", {"key": key, "for_client_id": cid}, "default"),
            ("/settings/delete_default", {"key": key}, True),
            ("/settings/get", {"key": key, "for_client_id": cid}, None),
        ]
        for path, params, result in steps:
            status, body = t.legacy(path, params)
            if path == "/settings/items":
                got = body.get("result", {}) if isinstance(body, dict) else {}
                expect(isinstance(got, dict) and got.get(key) == "own 2", {key: "own 2"}, got, t.last, path)
                continue
            want = {"result": result, "stat": "ok"}
            expect(status == 200 and body == want, want, body, t.last, path)
    run.check("legacy settings: a client value over the default, each deleted alone", "legacy", settings_legacy)

    def settings_across() -> None:
        made = run.add_client("settings-across")
        cid = made["client_id"]
        key = run.name("custom")
        t.legacy("/settings/set", {"key": key, "value": "from legacy", "for_client_id": cid})
        status, body = t.config("GET", f"/clients/{cid}/settings")
        seen = body if isinstance(body, dict) else {}
        value = seen.get(key, seen.get("custom", {}).get(key) if isinstance(seen.get("custom"), dict) else None)
        expect(status == 200 and value == "from legacy", {key: "from legacy"}, body, t.last,
               "a legacy setting in the Configuration API")
        status, body = t.config("PUT", f"/clients/{cid}/settings", {key: "from config"})
        status, body = t.legacy("/settings/get", {"key": key, "for_client_id": cid})
        expect(body == {"result": "from config", "stat": "ok"}, {"result": "from config", "stat": "ok"}, body, t.last,
               "a Configuration API setting in the legacy API")
    run.check("settings written by one family are read by the other", "both", settings_across, quirk=True)

    def deletion() -> None:
        made = run.add_client("deleted")
        status, body = t.legacy("/clients/delete", {"client_id_for_deletion": made["client_id"]})
        expect(body == {"stat": "ok"}, {"stat": "ok"}, body, t.last)
        run.created.remove(made["client_id"])
        status, body = t.legacy("/clients/list", {}, "basic", Credentials(made["client_id"], made["client_secret"]))
        expect_error(t, status, body, 402, "invalid_client_credentials")
    run.check("clients/delete: the client and its credentials are gone", "legacy", deletion)


def preflight(target: Target) -> None:
    """Refuses to run for credentials the target refuses, or a caller that is not an owner."""
    status, body = target.legacy("/clients/list")
    if isinstance(body, dict) and body.get("stat") == "ok":
        return
    code = body.get("code") if isinstance(body, dict) else None
    if code == 402:
        raise Refused("the target refused the credentials (402 invalid_client_credentials): check the client id "
                      "and secret, and that --capture-url is the application's Capture domain")
    if code == 403:
        raise Refused("the caller is not an owner client (or calls from outside its allowlist): "
                      "403 client_permission_error; the checks need an owner")
    raise Refused(f"the target did not answer clients/list as documented: HTTP {status}, {hide(target, body)}")


def hide(target: Target, value: Any) -> Any:
    """`value` with every secret the run has seen replaced, at any depth."""
    if isinstance(value, dict):
        return {k: HIDDEN if "secret" in k.lower() or k.lower() == "authorization" else hide(target, v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [hide(target, v) for v in value]
    if isinstance(value, str):
        for secret in target.secrets:
            if secret and secret in value:
                value = value.replace(secret, HIDDEN)
        return value
    return value


# Recorded parity ------------------------------------------------------------------------------
#
# --record keeps every call of every check that ran, with what differs from run to run replaced
# by placeholders: secrets, client ids, the run's prefix, the application id, request ids and
# times. --replay runs the same checks and compares each call with the recorded one, field by
# field after the same replacements.

RECORDING_FORMAT = 1
ID_KEYS = ("client_id", "_id")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


class Recorder:
    """The calls of each check, with placeholders. Ids and secrets are numbered in the order the
    run first meets them, so that two runs of the same checks on tenants in the same state name
    them alike."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.names: Dict[str, str] = {}
        self.checks: Dict[str, List[Dict[str, Any]]] = {}
        self.current: Optional[str] = None

    def begin(self, check: str) -> None:
        self.current = check
        self.checks[check] = []

    def end(self) -> None:
        self.current = None

    def add(self, target: Target, request: Dict[str, Any], status: int, body: Any) -> None:
        if self.current is None:
            return
        self.learn(target, body)
        answer = {"status": status, "content_type": target.content_type, "body": body}
        self.checks[self.current].append(self.placeheld(target, {"request": request, "answer": answer}))

    def learn(self, target: Target, value: Any) -> None:
        """Names the ids and secrets of an answer before it, or a later request, is written."""
        if target.owner.client_id not in self.names:
            self.names[target.owner.client_id] = "<owner>"
            self.names[target.owner.client_secret] = "<owner-secret>"
            self.names[target.app_id] = "<app>"
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str) and item and item not in self.names:
                    if "secret" in key.lower():
                        self.names[item] = f"<secret-{self.count('<secret-')}>"
                    elif key in ID_KEYS:
                        self.names[item] = f"<client-{self.count('<client-')}>"
                self.learn(target, item)
        elif isinstance(value, list):
            for item in value:
                self.learn(target, item)

    def count(self, kind: str) -> int:
        return sum(name.startswith(kind) for name in self.names.values()) + 1

    def placeheld(self, target: Target, value: Any) -> Any:
        if isinstance(value, dict):
            # Keys too: a setting's name holds the run's prefix.
            return {self.placeheld(target, key): "<request-id>" if key == "request_id" and isinstance(item, str)
                    else HIDDEN if "secret" in key.lower() and isinstance(item, str) and item not in self.names
                    else self.placeheld(target, item)
                    for key, item in value.items()}
        if isinstance(value, list):
            return [self.placeheld(target, item) for item in value]
        if isinstance(value, str):
            # Longest first, so that an id inside a longer known text is not cut apart.
            for known in sorted(self.names, key=len, reverse=True):
                if known in value:
                    value = value.replace(known, self.names[known])
            # A secret the run knows but the recording never named, as the report hides it.
            value = hide(target, value)
            return TIME.sub("<time>", value.replace(self.prefix, "conformance-<run>-"))
        return value

    def document(self, target: Target, started: str) -> Dict[str, Any]:
        return {
            "format": RECORDING_FORMAT,
            "recorded": started,
            "against": f"the emulator {target.emulator['version']}" if target.emulator else "a real tenant",
            "checks": self.checks,
        }


def differences(recorded: Any, received: Any, at: str) -> List[Tuple[str, Any, Any]]:
    """Every place where two placeheld values differ: (path, recorded, received)."""
    if isinstance(recorded, dict) and isinstance(received, dict):
        found = []
        for key in list(recorded) + [k for k in received if k not in recorded]:
            found += differences(recorded.get(key, "(absent)"), received.get(key, "(absent)"), f"{at}.{key}")
        return found
    if isinstance(recorded, list) and isinstance(received, list) and len(recorded) == len(received):
        found = []
        for index, (one, other) in enumerate(zip(recorded, received)):
            found += differences(one, other, f"{at}[{index}]")
        return found
    return [] if recorded == received else [(at, recorded, received)]


def replay_results(recording: Dict[str, Any], replayed: Dict[str, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Each check of the replay against the recording: matched, differed (with each difference)
    or not in the recording; then the recorded checks this run did not run."""
    results = []
    recorded = recording.get("checks", {})
    for check, calls in replayed.items():
        if check not in recorded:
            results.append({"check": check, "outcome": "not in the recording", "differences": []})
            continue
        before = recorded[check]
        found: List[str] = []
        if len(before) != len(calls):
            found.append(f"{len(before)} calls recorded, {len(calls)} made")
        for index, (then, now) in enumerate(zip(before, calls), start=1):
            request = now.get("request", {})
            where = f"call {index} ({request.get('method')} {request.get('path')})"
            for path, was, got in differences(then, now, ""):
                found.append(f"{where} {path.lstrip('.')}: recorded {json.dumps(was)}, received {json.dumps(got)}")
        results.append({"check": check, "outcome": "differed" if found else "matched", "differences": found})
    for check in recorded:
        if check not in replayed:
            results.append({"check": check, "outcome": "recorded, not run", "differences": []})
    return results


def replay_report(results: List[Dict[str, Any]], source: str, out: Any) -> None:
    width = max([len(r["check"]) for r in results] + [10])
    print(f"\nreplay of {source}", file=out)
    print(f"{'check':{width}}  result", file=out)
    for r in results:
        print(f"{r['check']:{width}}  {r['outcome']}", file=out)
        for line in r["differences"]:
            print(f"{'':{width}}    {line}", file=out)
    counts = {o: sum(r["outcome"] == o for r in results)
              for o in ("matched", "differed", "not in the recording", "recorded, not run")}
    print(f"\n{counts['matched']} matched, {counts['differed']} differed, "
          f"{counts['not in the recording']} not in the recording, {counts['recorded, not run']} recorded but not run",
          file=out)


def report(run: Run, out: Any) -> None:
    t = run.target
    width = max(len(r.check) for r in run.results) if run.results else 10
    print(f"\n{'check':{width}}  {'family':17}  result", file=out)
    for r in run.results:
        note = f"  ({r.note})" if r.note else ""
        print(f"{r.check:{width}}  {r.family:17}  {r.outcome}{note}", file=out)
    for r in run.results:
        if r.outcome != "differed":
            continue
        print(f"\n--- {r.check}", file=out)
        if r.request:
            print(f"request:  {json.dumps(hide(t, r.request), sort_keys=True)}", file=out)
        print(f"expected: {json.dumps(hide(t, r.expected), sort_keys=True)}", file=out)
        print(f"received: {json.dumps(hide(t, r.received), sort_keys=True)}", file=out)
    counts = {o: sum(r.outcome == o for r in run.results) for o in ("matched", "differed", "not run")}
    print(f"\n{counts['matched']} matched, {counts['differed']} differed, {counts['not run']} not run", file=out)


def as_data(run: Run, started: str, interrupted: bool) -> Dict[str, Any]:
    t = run.target
    return hide(t, {
        "target": {"capture_url": t.capture_url, "config_url": t.config_url, "app_id": t.app_id,
                   "client_id": t.owner.client_id,
                   "emulator": {"version": t.emulator.get("version")} if t.emulator else None},
        "started": started,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "forms": run.forms,
        "read_only": run.read_only,
        "results": [vars(r) for r in run.results],
    })


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m janrain_emulator.conformance",
        description="Conformance checks of the client-management APIs against a tenant (the emulator or the real service).")
    parser.add_argument("--capture-url", required=True, help="the legacy API's base URL (the Capture domain)")
    parser.add_argument("--config-url", required=True, help="the Configuration API's base URL (without /config)")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--client-id", required=True, help="an owner client of the application")
    parser.add_argument("--client-secret", default=os.environ.get("JANRAIN_CLIENT_SECRET"),
                        help="its secret (default: $JANRAIN_CLIENT_SECRET, which keeps it off the command line)")
    parser.add_argument("--auth", choices=[*AUTH_FORMS, "all"], default="all",
                        help="the legacy credential forms to check (default: all)")
    parser.add_argument("--read-only", action="store_true", help="only list and read: create and change nothing")
    parser.add_argument("--json", metavar="FILE", help="also write the results, with the target and the time, to FILE")
    parity = parser.add_mutually_exclusive_group()
    parity.add_argument("--record", metavar="FILE",
                        help="also write every call of the checks and its answer to FILE, with secrets, ids, "
                             "request ids and times replaced by placeholders, so that it can be committed")
    parity.add_argument("--replay", metavar="FILE",
                        help="compare every call's answer with the one recorded in FILE (by --record), field by "
                             "field; exit 1 on a difference")
    args = parser.parse_args(argv)
    if not args.client_secret:
        parser.error("--client-secret (or JANRAIN_CLIENT_SECRET) is required")
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    target = Target(args.capture_url, args.config_url, args.app_id, Credentials(args.client_id, args.client_secret))
    forms = list(AUTH_FORMS) if args.auth == "all" else [args.auth]

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    recording = None
    if args.replay:
        try:
            with open(args.replay) as source:
                recording = json.load(source)
        except (OSError, ValueError) as error:
            print(f"conformance: cannot read the recording {args.replay}: {error}", file=sys.stderr)
            return 2
        if not isinstance(recording, dict) or recording.get("format") != RECORDING_FORMAT:
            print(f"conformance: {args.replay} is not a recording of this version's format "
                  f"({RECORDING_FORMAT}): record it again with --record", file=sys.stderr)
            return 2
    run = Run(target, forms, args.read_only, progress)
    if args.record or args.replay:
        target.recorder = Recorder(run.prefix)
    which = f"the emulator {target.emulator['version']}" if target.emulator else "a real tenant"
    progress(f"conformance: {which} at {target.capture_url}, application {target.app_id}, prefix {run.prefix}")
    # SIGTERM ends the run as Ctrl-C does: through the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    interrupted = False
    left: List[str] = []
    try:
        preflight(target)
        for form in forms:
            legacy_checks(run, form)
        one_time_checks(run)
    except Refused as refused:
        print(f"conformance: refusing to run: {refused}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        interrupted = True
        progress("conformance: interrupted; deleting what the run created")
    finally:
        left = run.cleanup()
    if left:
        print(f"conformance: could not delete {', '.join(left)}: delete them by hand", file=sys.stderr)
    report(run, sys.stdout)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(as_data(run, started, interrupted), out, indent=2)
    replay_differed = False
    if target.recorder and not interrupted:
        if args.record:
            # Written whole, then renamed: an interrupted write leaves no half a recording.
            partial = f"{args.record}.partial"
            with open(partial, "w") as out:
                json.dump(target.recorder.document(target, started), out, indent=2)
                out.write("\n")
            os.replace(partial, args.record)
            progress(f"conformance: recorded {len(target.recorder.checks)} checks in {args.record}")
        else:
            results = replay_results(recording, target.recorder.checks)
            replay_report(results, f"{args.replay} ({recording.get('against')}, {recording.get('recorded')})",
                          sys.stdout)
            replay_differed = any(r["outcome"] == "differed" for r in results)
    if interrupted:
        return 130
    matched = all(r.outcome != "differed" for r in run.results) and not left
    return 0 if matched and not replay_differed else 1


if __name__ == "__main__":
    sys.exit(main())
