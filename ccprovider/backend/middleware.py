"""ASGI middleware of the mock backend: idempotent creates, injected faults, a body limit.

- `Idempotency`: a POST with an `Idempotency-Key` header is applied once; a
  replay with the same key (and token) gets the stored answer. A replayed create is
  answered by the create itself, which returns the object it made while that object is
  still as its client left it (not deleted, not taken over by another client since). A
  client can therefore retry a create after a dropped answer, or rerun after being
  killed, without duplicating anything, and a replay never overrides a change of hands.
- `FaultInjector`: for testing clients, answers a configured share of API requests with
  429 (with `Retry-After`), 500 or 503, or processes them and then drops the answer
  half-sent, after an optional latency.
- `BodyLimit`: refuses request bodies over a size with 413.
- `RequestLog`: appends one line per API request to a file, for benchmarks that count
  requests, even of a backend embedded in a provider process.
- `Unavailable`: answers 503 with `Retry-After` while the database cannot be reached,
  whichever layer found out.
"""

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ccprovider.backend.errors import BackendError, TooManyRequestsError, UnavailableError
from ccprovider.backend.http import (
    CALLER,
    REQUEST_KEY,
    AccessPolicy,
    Caller,
    RateLimiter,
    error_response,
    is_api_path,
    refusal,
)
from ccprovider.backend.service.common import now
from ccprovider.backend.service.partners import partner_access
from ccprovider.backend.storage import Store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

IDEMPOTENCY_HEADER = "idempotency-key"
_ADMIN_PREFIX = "/v1/simulator/admin"


def _header(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key.decode("latin-1").lower() == name:
            return str(value.decode("latin-1"))
    return None


class RateLimit:
    """Answers 429 with `Retry-After` to a client (by address) over its rate, before
    anything else is done for the request: refused credentials count too, so guessing
    tokens is as slow as any other use."""

    def __init__(self, app: App, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(str(scope.get("path", ""))):
            client = scope.get("client")
            try:
                self.limiter.admit(client[0] if client else "?")
            except TooManyRequestsError as refused:
                await refusal(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Authorize:
    """Refuses a request its token does not allow before anything else answers it, a
    replayed answer included, and leaves the caller on the request's state (`CALLER`)."""

    def __init__(self, app: App, policy: AccessPolicy, store: Store) -> None:
        self.app = app
        self.policy = policy
        self.store = store

    def _partner_access(self, tenant_id: str, org: str) -> str | None:
        with self.store.read() as tx:
            return partner_access(tx, tenant_id, org)

    def _authorize(self, scope: Scope) -> Caller | None:
        return self.policy.authorize(Request(scope), self._partner_access)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The API needs a token; its schema and docs (`/openapi.json`, `/docs`) do not.
        if scope["type"] == "http" and is_api_path(str(scope.get("path", ""))):
            try:
                caller = await run_in_threadpool(self._authorize, scope)
            except BackendError as refused:
                await refusal(refused)(scope, receive, send)
                return
            scope.setdefault("state", {})[CALLER] = caller
        await self.app(scope, receive, send)


class Idempotency:
    """Stores the answer to each keyed POST and replays it for the same key and body; the
    same key with another body is refused (422), as a reused key is a client's bug. The key,
    scoped to the method, path and caller, is left on the request's state (`REQUEST_KEY`)
    for the route to pass to the create, which records it on the object it creates. Runs
    after `Authorize`: a replay is answered only to a caller the tokens still allow."""

    def __init__(self, app: App, store: Store) -> None:
        self.app = app
        self.store = store

    def _key(self, scope: Scope, key: str) -> str:
        """The key scoped to the request's method, path and caller: who the token speaks
        for (set by `Authorize`), not the token, so that a rerun with a new token of the same
        caller (a restarted embedded backend) finds its answers and no token is stored."""
        caller = scope.get("state", {}).get(CALLER)
        who = f"{caller.role}:{caller.org or ''}" if isinstance(caller, Caller) else "-"
        return f"{scope['method']} {scope['path']} {who} {key}"

    def _replay(self, key: str) -> dict[str, Any] | None:
        with self.store.read() as tx:
            stored = tx.get_response(key)
            if stored is None:
                return None
            response: dict[str, Any] = json.loads(stored)
            return response

    def _remember(self, key: str, response: dict[str, Any]) -> None:
        with self.store.write() as tx:
            tx.put_response(key, json.dumps(response))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, IDEMPOTENCY_HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or not key:
            await self.app(scope, receive, send)
            return
        full_key = self._key(scope, key)
        scope.setdefault("state", {})[REQUEST_KEY] = full_key
        body = await _whole_body(receive)
        digest = hashlib.sha256(body).hexdigest()
        replay = await run_in_threadpool(self._replay, full_key)
        if replay is not None and replay.get("digest", digest) != digest:
            reused = f"Idempotency-Key {key} was already used with another request body."
            fix = "Send a new key for a new request; retry a request with its own key."
            await error_response(422, reused, [fix])(scope, receive, send)
            return
        # A create answers its own replay (`create_once`): the object as it is now, or a
        # refusal when it changed hands since.
        if replay is not None and not replay.get("created"):
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in replay["headers"]]
            await send(
                {"type": "http.response.start", "status": replay["status"], "headers": headers}
            )
            await send({"type": "http.response.body", "body": replay["body"].encode()})
            return
        # Hold the answer back until it is stored: a client that retries the moment it
        # receives it must find it.
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            messages.append(message)

        await self.app(scope, _replaying(body, receive), hold)
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        # A create's replay was answered by its route, and the first answer stays the one kept.
        if replay is None and start is not None and 200 <= start["status"] < 300:
            answer = b"".join(
                m.get("body", b"") for m in messages if m["type"] == "http.response.body"
            )
            text = answer.decode()
            created = json.loads(text).get("id") if start["status"] == 201 and text else None
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
            stored = {"status": start["status"], "headers": headers, "body": text}
            await run_in_threadpool(
                self._remember, full_key, {**stored, "created": created, "digest": digest}
            )
        for message in messages:
            await send(message)


async def _whole_body(receive: Receive) -> bytes:
    """The request's body, read to its end (`BodyLimit` has bounded it)."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body read already, then waits as `receive` does
    (for the client to disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


@dataclass(frozen=True)
class Faults:
    """What share of API requests fail and how long each waits first."""

    rate: float = 0.0
    latency_ms: float = 0.0
    seed: int | None = None


class FaultInjector:
    """Makes a share of API requests fail the ways a real network and service do."""

    KINDS = ("429", "500", "503", "drop")

    def __init__(self, app: App, faults: Faults) -> None:
        self.app = app
        self.faults = faults
        self.random = random.Random(faults.seed)  # noqa: S311 - test faults, not security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not is_api_path(path) or path.startswith(_ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        if self.random.random() >= self.faults.rate:
            await self.app(scope, receive, send)
            return
        kind = self.random.choice(self.KINDS)
        if kind == "drop":
            await self.app(scope, receive, _truncating(send))
            return
        status = int(kind)
        headers = {"Retry-After": "1"} if status == 429 else {}
        message = "Injected fault: too many requests." if status == 429 else "Injected fault."
        await error_response(status, message, [message], headers)(scope, receive, send)


def _truncating(send: Send) -> Send:
    """A `send` that announces more body than it sends, so the client sees the connection
    drop mid-answer after the request was processed."""

    async def truncated(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", b"1000000"))
            message = {**message, "headers": headers}
        await send(message)

    return truncated


class RequestLog:
    """Appends `METHOD path` for every API request to a file (shared by processes)."""

    def __init__(self, app: App, path: str) -> None:
        self.app = app
        self.path = path

    def _append(self, line: str) -> None:
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(line)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(str(scope.get("path", ""))):
            await run_in_threadpool(self._append, f"{scope['method']} {scope['path']}\n")
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses a request whose declared body is larger than `max_bytes` with 413, and a body
    of undeclared length (chunked) with 411, so no request can stream without bound."""

    def __init__(self, app: App, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = _header(scope, "content-length")
            if _header(scope, "transfer-encoding") and length is None:
                message = "A request body needs a Content-Length."
                await error_response(411, message, [message])(scope, receive, send)
                return
            if length and length.isdigit() and int(length) > self.max_bytes:
                message = f"The request body is larger than {self.max_bytes} bytes."
                await error_response(413, message, ["Send smaller batches."])(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ProvisioningDate:
    """Dates every answer, as the HTTP `Date` header, by the simulated clock: clients read
    the provisioning system's date from it, as they would from the vendor's servers, and
    judge subscription status and remap deadlines by that date, not by their own. An answer
    that cannot be dated, the database being out of reach, is dropped, and the error raised
    once the app is done (for `Unavailable` to answer): raised while the app sends, it would
    reach the app's error handlers after its answer had started."""

    def __init__(self, app: App, store: Store) -> None:
        self.app = app
        self.store = store

    def _date(self) -> bytes:
        with self.store.read() as tx:
            return format_datetime(now(tx), usegmt=True).encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        undated: UnavailableError | None = None

        async def dated(message: Message) -> None:
            nonlocal undated
            if undated is not None:
                return
            if message["type"] == "http.response.start":
                try:
                    date = await run_in_threadpool(self._date)
                except UnavailableError as error:
                    undated = error
                    return
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"date"]
                message = {**message, "headers": [*headers, (b"date", date)]}
            await send(message)

        await self.app(scope, receive, dated)
        if undated is not None:
            raise undated


class Unavailable:
    """Answers 503 with `Retry-After` when the database cannot be reached, which the app's
    error handlers cannot do for the middleware's own reads of the store (the date of every
    answer, a stored replay): they run outside the routes. Outermost, so that it also
    answers for `ProvisioningDate`, which cannot date an answer without the database."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except UnavailableError as error:
            if scope["type"] != "http" or started:
                raise
            await refusal(error)(scope, receive, send)
