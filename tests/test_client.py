"""The API client: typed results, paging, retries, and errors a user can act on."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests_mock

from ccprovider.api_errors import ApiError
from ccprovider.client import AnswerTimeoutError, ProvisioningClient
from ccprovider.contract import TenantBody
from tests.helpers import live_tenant, page, vendor_error, wire

BASE = "http://backend.test"

Answer = Callable[[BaseHTTPRequestHandler, threading.Event], None]
"""How a loopback backend answers one request; the event is set when the test ends."""


@contextmanager
def loopback_backend(*answers: Answer) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that answers its n-th request with `answers[n]` (the last
    one after that); yields its URL and the paths it was asked, in order. Retries go
    through urllib3 here, which requests-mock would bypass."""
    asked: list[str] = []
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            answers[min(len(asked), len(answers)) - 1](self, done)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads what was asked from `asked`."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        done.set()
        server.shutdown()
        server.server_close()
        serving.join()


def stall(handler: BaseHTTPRequestHandler, done: threading.Event) -> None:
    """Take the request and compute until the test ends: no answer meanwhile."""
    done.wait(30)


def hang_up(handler: BaseHTTPRequestHandler, done: threading.Event) -> None:
    """Close the connection without an answer, as a backend restarting does."""
    handler.close_connection = True


def tenant_answer(handler: BaseHTTPRequestHandler, done: threading.Event) -> None:
    body = live_tenant(name="acme-dev", id="t-1").model_dump_json(by_alias=True).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_read_still_being_computed_is_asked_once_and_fails_in_one_line() -> None:
    """A month's billing that outlasts the read timeout: asking again would compute it a
    second time beside the first, so the client gives up at once and says why."""
    with loopback_backend(stall) as (url, asked):
        client = ProvisioningClient(url, timeout=(5.0, 0.2))
        with pytest.raises(AnswerTimeoutError) as raised:
            client.billing_summary("t-1", "2026-05")

    assert asked == ["/v1/simulator/tenants/t-1/billing?period=2026-05"]
    message = str(raised.value)
    assert message.startswith(
        f"GET /v1/simulator/tenants/t-1/billing: the backend at {url} gave no answer"
    )
    assert "within 0.2 s: it is still working on the call" in message
    assert "Fix: run the command again once the backend has finished" in message
    assert "\n" not in message


def test_a_read_whose_connection_drops_before_the_answer_is_asked_again() -> None:
    with loopback_backend(hang_up, tenant_answer) as (url, asked):
        tenant = ProvisioningClient(url, timeout=(5.0, 0.2)).get_tenant("t-1")

    assert tenant is not None and tenant.name == "acme-dev"
    assert asked == ["/v1/simulator/tenants/t-1", "/v1/simulator/tenants/t-1"]


def cut_off(handler: BaseHTTPRequestHandler, done: threading.Event) -> None:
    """Answer 200 with a body cut off half-way, as a backend dropping mid-answer does."""
    handler.send_response_only(200)  # no Date of its own
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Date", "Mon, 01 Jun 2026 12:00:00 GMT")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b'{"items": [')
    handler.close_connection = True


def dated_page(handler: BaseHTTPRequestHandler, done: threading.Event) -> None:
    body = b'{"items": []}'
    handler.send_response_only(200)  # no Date of its own
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Date", "Tue, 02 Jun 2026 12:00:00 GMT")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_the_provisioning_date_is_asked_again_when_its_answer_is_cut_off() -> None:
    with loopback_backend(cut_off, dated_page) as (url, asked):
        today = ProvisioningClient(url, timeout=(5.0, 2.0)).today()

    assert today == date(2026, 6, 2)
    assert asked == ["/v1/simulator/tenants?max=1", "/v1/simulator/tenants?max=1"]


def test_a_proxy_set_in_the_environment_carries_the_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client reads the environment once, not per request, and still honours it: the
    loopback server plays the proxy, asked for the backend's full URL."""
    with loopback_backend(tenant_answer) as (proxy, asked):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = ProvisioningClient("http://backend.invalid")
        tenant = client.get_tenant("t-1")

    assert tenant is not None and tenant.name == "acme-dev"
    assert asked == ["http://backend.invalid/v1/simulator/tenants/t-1"]


def test_a_backend_named_in_no_proxy_is_called_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_backend(tenant_answer) as (url, asked):
        monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        tenant = ProvisioningClient(url).get_tenant("t-1")

    assert tenant is not None and tenant.name == "acme-dev"
    assert asked == ["/v1/simulator/tenants/t-1"]


def test_vendor_error_body_becomes_an_api_error_with_every_detail() -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.post(
            f"{BASE}/v1/simulator/tenants",
            status_code=409,
            json=wire(
                vendor_error(
                    "A tenant named 'acme-dev' already exists (id t-1).",
                    "Tenant names are unique.",
                    tracking_id="track-42",
                )
            ),
        )
        with pytest.raises(ApiError) as raised:
            client.create_tenant(TenantBody(name="acme-dev", offer="flex3"))

    error = raised.value
    assert (error.method, error.path, error.status) == ("POST", "/v1/simulator/tenants", 409)
    assert error.tracking_id == "track-42"
    assert str(error) == (
        "POST /v1/simulator/tenants answered 409: A tenant named 'acme-dev' already exists "
        "(id t-1). Tenant names are unique. (trackingId track-42)"
    )


def test_a_non_json_error_keeps_the_status_and_text() -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/v1/simulator/tenants/t-1", status_code=502, text="Bad gateway from proxy")
        with pytest.raises(ApiError) as raised:
            client.get_tenant("t-1")

    assert raised.value.status == 502
    assert "Bad gateway from proxy" in str(raised.value)


def test_bearer_token_is_sent_and_never_part_of_an_error() -> None:
    client = ProvisioningClient(BASE, token="s3cr3t-token")
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{BASE}/v1/simulator/tenants/t-1",
            status_code=403,
            json=wire(vendor_error("Forbidden.")),
        )
        with pytest.raises(ApiError) as raised:
            client.get_tenant("t-1")

    assert mock.last_request.headers["Authorization"] == "Bearer s3cr3t-token"
    assert "s3cr3t-token" not in str(raised.value)


def test_missing_objects_are_none_or_false_not_errors() -> None:
    client = ProvisioningClient(BASE)
    not_found = wire(vendor_error("not found"))
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/v1/simulator/tenants/gone", status_code=404, json=not_found)
        mock.delete(f"{BASE}/v1/simulator/tenants/gone", status_code=404, json=not_found)
        mock.get(f"{BASE}/v1/simulator/tenants?name=ghost", json=wire(page()))

        assert client.get_tenant("gone") is None
        assert client.delete_tenant("gone") is False
        assert client.find_tenant("ghost") is None


def test_list_follows_link_next_across_pages() -> None:
    client = ProvisioningClient(BASE)
    with requests_mock.Mocker() as mock:
        mock.get(
            f"{BASE}/v1/simulator/tenants?max=2",
            complete_qs=True,
            json=wire(page(live_tenant(name="team-a", id="1"), live_tenant(name="team-b", id="2"))),
            headers={"Link": f'<{BASE}/v1/simulator/tenants?max=2&start=2>; rel="next"'},
        )
        mock.get(
            f"{BASE}/v1/simulator/tenants?max=2&start=2",
            complete_qs=True,
            json=wire(page(live_tenant(name="team-c", id="3"))),
        )

        names = [t.name for t in client.list_tenants(page_size=2)]

    assert names == ["team-a", "team-b", "team-c"]
