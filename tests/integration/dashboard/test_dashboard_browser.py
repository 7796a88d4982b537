"""The dashboard in Debian's headless Chromium against a daemon with real containers: login over
TCP, the overview, live rows (a container removed by hand turns Repairing, then Running, with no
reload), the log following, apply with its diff first, delete with a confirmation, a forged
cross-site POST refused, and a daemon restart shown as reconnecting and caught up."""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.integration.api.conftest import ApiDaemon, container_yaml, free_port
from tests.integration.dashboard.conftest import restart, screenshot

pytestmark = pytest.mark.integration

TICKER = '["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]'


def _apply(running: ApiDaemon, text: str) -> None:
    with running.http() as http:
        response = http.post("/v1/apply", content=text)
        assert response.status_code == 200, response.text


def _row(page: Page, name: str, namespace: str = "default", kind: str = "Container") -> str:
    return f'tr[data-key="{namespace}/{kind}/{name}"]'


@pytest.fixture(scope="module")
def apps(dash: ApiDaemon, dash_image: str) -> dict[str, str]:
    """A web container publishing a loopback port, a ticker, and one that fails."""
    port = free_port()
    names = {"web": "dash-web", "ticker": "dash-ticker", "broken": "dash-broken"}
    web = container_yaml(
        names["web"],
        dash_image,
        extra=f"  ports: [{{containerPort: 8080, hostPort: {port}, hostIP: 127.0.0.1}}]\n",
        labels="{app: shop}",
    )
    ticker = container_yaml(names["ticker"], dash_image, command=TICKER, labels="{app: logs}")
    broken = container_yaml(
        names["broken"],
        dash_image,
        command='["sh", "-c", "exit 3"]',
        extra="  restartPolicy: Never\n",
    )
    _apply(dash, "---\n".join([web, ticker, broken]))
    dash.daemon.wait_phase("Container", names["web"], "Running", ready=True)
    dash.daemon.wait_phase("Container", names["ticker"], "Running", ready=True)
    dash.daemon.wait_phase("Container", names["broken"], "Failed")
    return names


def test_the_token_is_required_over_tcp(context: BrowserContext, dash: ApiDaemon) -> None:
    assert f"dashboard: {dash.tcp_url}/ (log in with the token in" in dash.daemon.log()
    page = context.new_page()
    page.goto(dash.tcp_url + "/")
    expect(page).to_have_url(dash.tcp_url + "/ui/login")
    page.fill("#token", "wrong")
    page.click("#login")
    expect(page.locator(".errors")).to_have_text("wrong token")
    screenshot(page, "dashboard-login")
    assert page.request.get(dash.tcp_url + "/v1/containers").status == 401
    page.fill("#token", dash.token)
    page.click("#login")
    expect(page).to_have_url(dash.tcp_url + "/")
    cookie = next(c for c in context.cookies() if c["name"] == "dockform_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.request.get(dash.tcp_url + "/v1/containers").status == 200


def test_the_socket_needs_no_login(dash: ApiDaemon, apps: dict[str, str]) -> None:
    with dash.http() as http:
        page = http.get("/")
    assert page.status_code == 200
    assert apps["web"] in page.text


def test_the_overview_lists_the_containers(page: Page, apps: dict[str, str]) -> None:
    web = page.locator(_row(page, apps["web"]))
    expect(web).to_contain_text("Running")
    expect(web).to_contain_text("127.0.0.1:")
    expect(web).to_contain_text("dockform-test/dashimg")
    broken = page.locator(_row(page, apps["broken"]))
    expect(broken).to_contain_text("Failed")
    expect(broken).to_have_class("failing")
    expect(page.locator("#summary")).to_contain_text("default")
    expect(page.locator("#leadership")).to_contain_text("single")
    expect(page.locator("#live")).to_have_text("live")
    screenshot(page, "dashboard", readme=True)
    page.fill("#f-label", "app=shop")
    expect(web).to_be_visible()
    expect(broken).to_be_hidden()
    page.fill("#f-label", "")
    page.fill("#f-q", "ticker")
    expect(page.locator(_row(page, apps["ticker"]))).to_be_visible()
    expect(web).to_be_hidden()
    page.fill("#f-q", "")
    page.select_option("#f-phase", "Failed")
    expect(broken).to_be_visible()
    expect(web).to_be_hidden()
    assert "phase=Failed" in page.url


def test_an_object_no_event_names_still_shows_live(page: Page, dash: ApiDaemon) -> None:
    """A Config makes no engine call, so no event: the page's store-version poll finds it."""
    page.evaluate("window.notReloaded = true")
    config = (
        "apiVersion: dockform/v1\nkind: Config\nmetadata: {name: dash-config}\nspec: {value: x}\n"
    )
    _apply(dash, config)
    expect(page.locator(_row(page, "dash-config", kind="Config"))).to_contain_text("Ready")
    with dash.http() as http:
        assert http.delete("/v1/configs/dash-config").status_code == 202
    expect(page.locator(_row(page, "dash-config", kind="Config"))).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True


def test_a_removed_container_is_repaired_live(
    page: Page, dash: ApiDaemon, apps: dict[str, str]
) -> None:
    page.evaluate("window.notReloaded = true")
    row = page.locator(_row(page, apps["web"]))
    expect(row).to_contain_text("Running")
    subprocess.run(["docker", "rm", "-f", apps["web"]], check=True, capture_output=True)
    expect(row).to_contain_text("Repairing", timeout=15_000)
    screenshot(page, "dashboard-repairing")
    expect(row).to_contain_text("Running", timeout=15_000)
    assert page.evaluate("window.notReloaded") is True


def test_the_log_follows_and_pauses(page: Page, dash: ApiDaemon, apps: dict[str, str]) -> None:
    page.goto(f"{dash.tcp_url}/ui/objects/default/containers/{apps['ticker']}")
    log = page.locator("#log")
    expect(log).to_contain_text("tick")
    first = _last_tick(log.text_content() or "")
    page.wait_for_function(
        f"() => /tick (\\d+)\\n$/.exec(document.querySelector('#log').textContent)[1] > {first + 3}"
    )
    page.click("#log-toggle")
    expect(page.locator("#log-state")).to_contain_text("paused")
    held = _last_tick(log.text_content() or "")
    page.wait_for_timeout(1000)
    assert _last_tick(log.text_content() or "") == held
    expect(page.locator("#log-state")).to_contain_text("new lines held")
    page.click("#log-toggle")
    assert _last_tick(log.text_content() or "") > held
    expect(page.locator("#spec")).to_contain_text("image: dockform-test/")
    expect(page.locator("#events")).to_contain_text("Started")
    screenshot(page, "dashboard-object")


def _last_tick(text: str) -> int:
    ticks = [line for line in text.splitlines() if line.startswith("tick ")]
    return int(ticks[-1].split()[1]) if ticks else 0


def test_apply_shows_the_diff_then_the_result_and_delete_confirms(
    page: Page, dash: ApiDaemon, dash_image: str, tmp_path: Path
) -> None:
    name = "dash-applied"
    page.goto(dash.tcp_url + "/ui/apply")
    page.fill("#manifest", container_yaml(name, dash_image, extra="  bogus: 1\n"))
    page.click("#diff-button")
    errors = page.locator("#apply-errors")
    expect(errors).to_contain_text("pasted.yaml:8: document 1 (Container/dash-applied): spec.bogus")
    expect(page.locator("#apply-button")).to_be_disabled()
    upload = tmp_path / "upload.yaml"
    upload.write_text(container_yaml(name, dash_image))
    page.set_input_files("#manifest-file", str(upload))
    expect(page.locator("#manifest")).to_have_value(container_yaml(name, dash_image))
    expect(page.locator("#apply-button")).to_be_disabled()
    page.click("#diff-button")
    diff = page.locator("#diff")
    expect(diff).to_contain_text(f"+++ manifest/container/{name}")
    expect(diff).to_contain_text("+  image: dockform-test/")
    assert dash.daemon.resource("Container", name) is None  # the diff wrote nothing
    screenshot(page, "dashboard-diff")
    page.click("#apply-button")
    expect(page.locator("#apply-results")).to_have_text(f"container/{name} created")
    dash.daemon.wait_phase("Container", name, "Running", ready=True)

    page.click(f"#apply-results a:text('container/{name}')")
    expect(page.locator("#obj-phase")).to_have_text("Running")
    _apply(dash, container_yaml(name, dash_image, command='["sleep", "3601"]'))
    page.reload()
    revision_diff = page.locator("#revision-diff")
    expect(revision_diff).to_contain_text('-    - "3600"')
    expect(revision_diff).to_contain_text('+    - "3601"')
    page.select_option("#rev-from", index=1)
    expect(revision_diff).not_to_contain_text('-    - "3600"')
    page.click("button.rollback[data-generation='1']")
    expect(page.locator("#confirm-rollback")).to_contain_text(
        f"Roll container/{name} back to generation 1?"
    )
    page.click("#confirm-rollback-yes")
    expect(page.locator("#explain-summary")).to_contain_text("pinned by a rollback to generation 1")
    expect(page.locator("#spec")).to_contain_text("- '3600'")
    page.click("#unpin")
    expect(page.locator("#explain-summary")).not_to_contain_text("pinned")
    expect(page.locator("#spec")).to_contain_text("- '3601'")
    page.click("#delete")
    dialog = page.locator("#confirm-delete")
    expect(dialog).to_contain_text(f"Delete container/{name} in namespace default?")
    page.click("#confirm-delete-yes")
    expect(page.locator("#action-result")).to_contain_text(f"container/{name}", timeout=15_000)
    dash.daemon.wait_gone("Container", name)


@pytest.fixture
def evil_site(tmp_path: Path, dash: ApiDaemon) -> Iterator[str]:
    """Another origin on this host (same site, as cookies see it: only the port differs) whose
    page posts a manifest to the dashboard's API as soon as it loads."""
    body = container_yaml("dash-forged", "none")
    (tmp_path / "index.html").write_text(
        "<!doctype html><form id=f method=post enctype=text/plain "
        f'action="{dash.tcp_url}/v1/apply"><textarea name=x>{body}</textarea></form>'
        "<script>document.getElementById('f').submit()</script>"
    )
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *args, directory=str(tmp_path)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_forged_cross_site_post_is_refused(
    page: Page, context: BrowserContext, dash: ApiDaemon, evil_site: str
) -> None:
    page.goto(evil_site)
    page.wait_for_url(f"{dash.tcp_url}/v1/apply")
    assert "CSRF" in (page.text_content("body") or "")
    assert dash.daemon.resource("Container", "dash-forged") is None
    cookie = next(c for c in context.cookies() if c["name"] == "dockform_session")["value"]
    with httpx.Client(base_url=dash.tcp_url, cookies={"dockform_session": cookie}) as client:
        assert client.get("/v1/containers").status_code == 200
        no_token = client.post("/v1/gitsources/x/sync")
        assert no_token.status_code == 403
        assert "CSRF" in no_token.json()["error"]
        home = client.get("/").text
        csrf = home.split('name="csrf-token" content="')[1].split('"')[0]
        foreign = client.post(
            "/v1/gitsources/x/sync", headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"}
        )
        assert foreign.status_code == 403
        assert "cross-site" in foreign.json()["error"]
        allowed = client.post("/v1/gitsources/x/sync", headers={"X-CSRF-Token": csrf})
        assert allowed.status_code == 404  # past the guards: there is no GitSource x


def test_sources_page(page: Page, dash: ApiDaemon, apps: dict[str, str]) -> None:
    page.goto(dash.tcp_url + "/ui/sources")
    expect(page.locator("#sources")).to_contain_text("cli")
    expect(page.locator("#gitsources")).to_contain_text("No GitSource")


def test_a_restarted_daemon_shows_reconnecting_then_catches_up(
    page: Page, dash: ApiDaemon, dash_image: str, apps: dict[str, str]
) -> None:
    page.evaluate("window.notReloaded = true")
    expect(page.locator("#live")).to_have_text("live")
    dash.daemon.stop()
    expect(page.locator("#live")).to_have_text("reconnecting…", timeout=10_000)
    screenshot(page, "dashboard-reconnecting")
    restart(dash)  # on the same port: the page's stream reconnects to the new process
    expect(page.locator("#live")).to_have_text("live", timeout=20_000)
    name = "dash-after-restart"
    _apply(dash, container_yaml(name, dash_image))
    expect(page.locator(_row(page, name))).to_contain_text("Running", timeout=30_000)
    assert page.evaluate("window.notReloaded") is True
