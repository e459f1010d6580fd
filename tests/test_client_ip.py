"""Rate limits key on the real client: behind a trusted reverse proxy each client has its own
budget; nobody else can choose their budget by sending X-Forwarded-For."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse

from config.client_ip import client_ip, rate_limit_address, trusted_networks

PROXY = "10.0.0.5"


def ip_of(remote: str, forwarded: str | None = None) -> str:
    if forwarded is None:
        request = RequestFactory().get("/", REMOTE_ADDR=remote)
    else:
        request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    return client_ip(request)


class TestWithoutTrustedProxies:
    def test_the_connecting_address_is_the_client(self):
        assert ip_of("198.51.100.7") == "198.51.100.7"

    def test_a_forwarded_header_is_ignored(self):
        assert ip_of("198.51.100.7", "203.0.113.9") == "198.51.100.7"


class TestBehindATrustedProxy:
    @pytest.fixture(autouse=True)
    def _proxy(self, settings):
        settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16", "2001:db8:ffff::/48"]

    def test_the_address_the_proxy_saw_is_the_client(self):
        assert ip_of(PROXY, "203.0.113.9") == "203.0.113.9"

    def test_addresses_the_client_wrote_itself_are_never_read(self):
        # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended what it saw.
        assert ip_of(PROXY, "1.2.3.4, 203.0.113.9") == "203.0.113.9"
        assert ip_of(PROXY, f"1.2.3.4, {PROXY}, 203.0.113.9") == "203.0.113.9"

    def test_a_chain_of_trusted_proxies_is_followed_to_the_client(self):
        assert ip_of(PROXY, "203.0.113.9, 10.1.2.3") == "203.0.113.9"

    def test_a_peer_that_is_not_a_trusted_proxy_cannot_choose_its_address(self):
        assert ip_of("198.51.100.7", "203.0.113.9") == "198.51.100.7"
        assert ip_of("198.51.100.7", PROXY) == "198.51.100.7"

    def test_no_header_from_the_proxy_means_the_proxy_itself(self):
        assert ip_of(PROXY) == PROXY
        assert ip_of(PROXY, "") == PROXY

    def test_garbage_stops_the_walk_at_the_last_trusted_hop(self):
        assert ip_of(PROXY, "unknown") == PROXY
        assert ip_of(PROXY, "203.0.113.9, <script>") == PROXY

    def test_ports_brackets_and_ipv6(self):
        assert ip_of(PROXY, "203.0.113.9:51234") == "203.0.113.9"
        assert ip_of(PROXY, "[2001:db8::7]:443") == "2001:db8::7"
        assert ip_of("2001:db8:ffff::1", "2001:db8::7") == "2001:db8::7"
        assert ip_of(PROXY, "::ffff:203.0.113.9") == "203.0.113.9"

    def test_ipv6_clients_count_per_64_block(self):
        request = RequestFactory().get(
            "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="2001:db8:1:2:aaaa::1"
        )
        assert rate_limit_address(request) == "2001:db8:1:2::"


def test_a_wrong_trusted_proxy_entry_is_named_at_start():
    with pytest.raises(ImproperlyConfigured, match="not-an-ip"):
        trusted_networks(("10.0.0.1", "not-an-ip"))


def test_an_unusable_peer_address_is_one_shared_bucket_not_an_error():
    assert ip_of("") == "0.0.0.0"  # noqa: S104


# --- the rate limits themselves, through real pages ------------------------------------------


@pytest.fixture
def survey_rate(settings, db):
    settings.SURVEY_RATE = "2/m"


def survey_page(client: Client, forwarded: str | None = None) -> int:
    page = reverse("surveys:answer", args=["no-such-token"])
    if forwarded:
        return client.get(page, HTTP_X_FORWARDED_FOR=forwarded).status_code
    return client.get(page).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(settings, survey_rate):
    settings.TRUSTED_PROXIES = [PROXY]
    via_proxy = Client(REMOTE_ADDR=PROXY)
    assert [survey_page(via_proxy, "203.0.113.1") for _ in range(3)] == [404, 404, 429]
    assert survey_page(via_proxy, "203.0.113.2") == 404  # another customer, not blocked


def test_without_the_setting_everyone_behind_the_proxy_shares_one_budget(survey_rate):
    via_proxy = Client(REMOTE_ADDR=PROXY)
    assert [survey_page(via_proxy, "203.0.113.1") for _ in range(2)] == [404, 404]
    assert survey_page(via_proxy, "203.0.113.2") == 429


def test_a_spoofed_header_buys_a_direct_client_no_new_budget(settings, survey_rate):
    settings.TRUSTED_PROXIES = [PROXY]
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    codes = [survey_page(attacker, f"192.0.2.{i}") for i in range(1, 5)]
    assert codes == [404, 404, 429, 429]


def test_a_client_prepending_addresses_through_the_proxy_gains_nothing(settings, survey_rate):
    settings.TRUSTED_PROXIES = [PROXY]
    via_proxy = Client(REMOTE_ADDR=PROXY)
    codes = [survey_page(via_proxy, f"192.0.2.{i}, 203.0.113.1") for i in range(1, 5)]
    assert codes == [404, 404, 429, 429]


def test_the_login_budgets_follow_the_proxy_too(settings, ana):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_RATE = "2/5m"
    via_proxy = Client(REMOTE_ADDR=PROXY)
    login = reverse("login")
    for _ in range(2):
        via_proxy.post(
            login, {"username": "ana", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.1"
        )
    blocked = via_proxy.post(
        login, {"username": "ana", "password": "pulso-test"}, HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    assert blocked.status_code == 429
    owner = via_proxy.post(
        login, {"username": "ana", "password": "pulso-test"}, HTTP_X_FORWARDED_FOR="203.0.113.2"
    )
    assert owner.status_code == 302
