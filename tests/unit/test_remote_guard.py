"""The guarded fetcher's limits (issue 14): addresses that embed loopback or private IPv4,
the per-request budget (deadline and number of fetches), the cap on fetches in flight
per host, and the minimum transfer rate. No network: a mock transport answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from skillcred.errors import RemoteFetchError, RemoteRefusedError
from skillcred.services.remote import (
    GuardedFetcher,
    _is_public,
    fetch_budget,
)


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::c0a8:1",  # local-use NAT64 of 192.168.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",  # the cloud metadata address, mapped
        "::1",
        "fe80::1",
        "fc00::1",
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "100.64.0.1",
    ],
)
def test_addresses_that_end_up_private_are_refused(address: str) -> None:
    assert not _is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_pass(address: str) -> None:
    assert _is_public(address)


def test_a_host_resolving_to_nat64_loopback_is_refused_before_any_request() -> None:
    requests: list[httpx.Request] = []
    fetcher = GuardedFetcher(
        resolve=lambda host, port: ["64:ff9b::7f00:1"],
        transport=httpx.MockTransport(lambda r: requests.append(r) or httpx.Response(200)),
    )
    with pytest.raises(RemoteRefusedError, match="loopback, private or reserved"):
        fetcher.fetch("https://evil.example/list")
    assert requests == []


def fetcher_answering(handler: httpx.MockTransport, **options: object) -> GuardedFetcher:
    return GuardedFetcher(
        resolve=lambda host, port: ["93.184.215.14"],
        transport=handler,
        **options,  # type: ignore[arg-type]
    )


def test_a_request_has_a_number_of_fetches() -> None:
    fetcher = fetcher_answering(httpx.MockTransport(lambda r: httpx.Response(200, content=b"{}")))
    with fetch_budget(5.0, 2):
        assert fetcher.fetch("https://a.example/1") == b"{}"
        assert fetcher.fetch("https://a.example/2") == b"{}"
        with pytest.raises(RemoteFetchError, match="as many remote lookups as one request may"):
            fetcher.fetch("https://a.example/3")
    # A new request, a new budget.
    with fetch_budget(5.0, 2):
        assert fetcher.fetch("https://a.example/3") == b"{}"


def test_a_request_has_a_deadline_for_all_its_fetches() -> None:
    fetcher = fetcher_answering(httpx.MockTransport(lambda r: httpx.Response(200, content=b"{}")))
    with fetch_budget(0.05, 10):
        fetcher.fetch("https://a.example/1")
        time.sleep(0.06)
        with pytest.raises(RemoteFetchError, match="time for lookups ran out"):
            fetcher.fetch("https://a.example/2")


def slow_stream(pause: float, chunks: int) -> Iterator[bytes]:
    for _ in range(chunks):
        time.sleep(pause)
        yield b"x"


def test_a_dripping_transfer_is_given_up() -> None:
    fetcher = fetcher_answering(
        httpx.MockTransport(lambda r: httpx.Response(200, content=slow_stream(0.2, 50))),
        min_bytes_per_second=100,
    )
    started = time.monotonic()
    with fetch_budget(30.0, 10), pytest.raises(RemoteFetchError, match="slower than 100 bytes/s"):
        fetcher.fetch("https://drip.example/list")
    assert time.monotonic() - started < 2.0


def test_a_transfer_stops_at_the_deadline() -> None:
    fetcher = fetcher_answering(
        httpx.MockTransport(lambda r: httpx.Response(200, content=slow_stream(0.1, 100))),
        min_bytes_per_second=0,
    )
    started = time.monotonic()
    with fetch_budget(0.5, 10), pytest.raises(RemoteFetchError, match="did not finish in time"):
        fetcher.fetch("https://drip.example/list")
    assert time.monotonic() - started < 1.0


def test_fetches_in_flight_to_one_host_are_capped_and_refused_at_once() -> None:
    release = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "slow.example":
            release.wait(10)
        return httpx.Response(200, content=b"{}")

    fetcher = fetcher_answering(httpx.MockTransport(handler), max_per_host=2, max_in_flight=8)
    threads = [
        threading.Thread(target=fetcher.fetch, args=(f"https://slow.example/{n}",))
        for n in range(2)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    with pytest.raises(RemoteFetchError, match=r"2 lookups to slow\.example are already under way"):
        fetcher.fetch("https://slow.example/3")
    assert time.monotonic() - started < 0.1
    # Another host is not held up by the slow one.
    assert fetcher.fetch("https://fast.example/1") == b"{}"
    release.set()
    for thread in threads:
        thread.join()
    assert fetcher.fetch("https://slow.example/4") == b"{}"
