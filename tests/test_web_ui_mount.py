"""The service as the Scale web UI needs it: under the URL prefix ``/api/`` of the UI's
origin (gunicorn's ``SCRIPT_NAME``), and with AngularJS's CSRF names
(``DJANGO_CSRF_ANGULAR=1``), over real HTTP through gunicorn and the real URL routing."""

from __future__ import annotations

import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.request
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission, User

from job.models import Job
from tests import factories
from tests.servers import BASE_DIR, clean_environment, database_url, gunicorn, http_request
from tests.servers import no_redirect_opener as opener_with

PASSWORD = "operator-pass-123"


@pytest.fixture(scope="module")
def ui_mount(django_db_setup, django_db_blocker):
    """gunicorn under ``/api`` with the Angular CSRF names; yields the origin."""
    with django_db_blocker.unblock():
        env = clean_environment(
            DATABASE_URL=database_url(), SCRIPT_NAME="/api", DJANGO_CSRF_ANGULAR="1"
        )
    with gunicorn(env, probe="/api/health/") as origin:
        yield origin


@pytest.fixture
def jobs(transactional_db) -> list[Job]:
    return [factories.JobFactory(status=Job.Status.RUNNING) for _ in range(3)]


@pytest.fixture
def operator(transactional_db) -> User:
    # The admin's login page is the way a browser gets a session: it needs is_staff.
    user = User.objects.create_user("operator", password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_job"))
    return user


def _json(body: bytes) -> dict:
    return json.loads(body)


@pytest.mark.parametrize("prefix", ["/api", "/api/v3"])
def test_next_and_previous_keep_the_mount_prefix(ui_mount, jobs, prefix):
    status, headers, body = http_request(f"{ui_mount}{prefix}/jobs/?page=2&page_size=1")
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    page = _json(body)
    assert page["count"] == 3
    # The next link also carries the token that seeks page 3 after page 2's last row.
    assert re.fullmatch(re.escape(f"{ui_mount}{prefix}/jobs/?after=") + r"[\w%-]+"
                        + re.escape("&page=3&page_size=1"), page["next"]), page["next"]
    assert page["previous"] == f"{ui_mount}{prefix}/jobs/?page_size=1"
    assert [row["id"] for row in page["results"]] == [jobs[1].id]


def test_the_browsable_api_links_its_assets_and_pages_under_the_prefix(ui_mount, jobs):
    status, headers, body = http_request(f"{ui_mount}/api/jobs/", Accept="text/html")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    html = body.decode()
    stylesheet = "/api/static/rest_framework/css/bootstrap.min.css"
    assert f'href="{stylesheet}"' in html
    assert '<a href="/api/jobs/">' in html  # the breadcrumb
    status, headers, css = http_request(f"{ui_mount}{stylesheet}")
    assert (status, headers["Content-Type"]) == (200, "text/css; charset=\"utf-8\"")
    assert len(css) > 100_000


@pytest.mark.django_db  # run alone, the mount would otherwise serve the development database
def test_the_health_probe_answers_under_the_prefix(ui_mount):
    status, _, body = http_request(f"{ui_mount}/api/health/")
    assert (status, body) == (200, b'{"status": "ok", "database": "ok"}')


def _logged_in_browser(origin: str) -> tuple[urllib.request.OpenerDirector, dict[str, str]]:
    """Logs in through the admin's login page as a browser does; answers the opener (with
    its cookies) and the cookies by name."""
    jar = http.cookiejar.CookieJar()
    browser = opener_with(urllib.request.HTTPCookieProcessor(jar))
    status, _, _ = http_request(f"{origin}/api/admin/login/", opener=browser)
    assert status == 200
    cookies = {cookie.name: cookie.value for cookie in jar}
    assert "csrftoken" not in cookies
    form = urlencode({"username": "operator", "password": PASSWORD,
                      "csrfmiddlewaretoken": cookies["XSRF-TOKEN"], "next": "/api/admin/"})
    status, headers, body = http_request(
        f"{origin}/api/admin/login/", method="POST", data=form.encode(), opener=browser,
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, headers["Location"]) == (302, "/api/admin/"), body
    return browser, {cookie.name: cookie.value for cookie in jar}


def _cancel(origin: str, job: Job, **headers: str) -> tuple[int, bytes]:
    opener = headers.pop("opener", None)
    status, _, body = http_request(
        f"{origin}/api/jobs/{job.id}/", method="PATCH", data=b'{"status": "CANCELED"}',
        opener=opener, **{"Content-Type": "application/json", "Origin": origin}, **headers,
    )
    return status, body


def test_a_session_cancel_with_angulars_xsrf_header_succeeds(ui_mount, jobs, operator):
    browser, cookies = _logged_in_browser(ui_mount)
    # What AngularJS's $http does: the XSRF-TOKEN cookie's value, as the X-XSRF-TOKEN header.
    status, body = _cancel(ui_mount, jobs[0], opener=browser,
                           **{"X-XSRF-TOKEN": cookies["XSRF-TOKEN"]})
    assert status == 200, body
    assert _json(body)["status"] == "CANCELED"
    jobs[0].refresh_from_db()
    assert jobs[0].status == Job.Status.CANCELED


@pytest.mark.parametrize("header", [None, "X-CSRFToken", "X-XSRF-TOKEN-WRONG"])
def test_a_session_cancel_without_the_xsrf_header_is_403_and_leaves_the_job(
    ui_mount, jobs, operator, header
):
    browser, cookies = _logged_in_browser(ui_mount)
    if header == "X-XSRF-TOKEN-WRONG":
        extra = {"X-XSRF-TOKEN": "x" * 32}
    else:
        extra = {header: cookies["XSRF-TOKEN"]} if header else {}
    status, body = _cancel(ui_mount, jobs[0], opener=browser, **extra)
    assert status == 403
    assert body.decode().startswith("CSRF Failed: "), body
    jobs[0].refresh_from_db()
    assert jobs[0].status == Job.Status.RUNNING


def test_an_anonymous_cancel_stays_401(ui_mount, jobs):
    status, body = _cancel(ui_mount, jobs[0])
    assert status == 401, body
    jobs[0].refresh_from_db()
    assert jobs[0].status == Job.Status.RUNNING


def test_an_anonymous_cancel_with_a_made_up_xsrf_pair_stays_401(ui_mount, jobs):
    # A cookie and header that match but belong to no session authenticate nobody.
    token = "a" * 32
    status, body = _cancel(ui_mount, jobs[0], Cookie=f"XSRF-TOKEN={token}",
                           **{"X-XSRF-TOKEN": token})
    assert status == 401, body
    assert re.match(rb"^[^\n]+\n$", body)
    jobs[0].refresh_from_db()
    assert jobs[0].status == Job.Status.RUNNING


@pytest.mark.parametrize("value", ["api", "/api/", "/a b"])
def test_a_malformed_script_name_stops_with_a_one_line_message(value):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR,
        env=clean_environment(SCRIPT_NAME=value), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert (
        "SCRIPT_NAME must be a URL path such as /api (a leading slash, none at the end), "
        f"not {value!r}"
    ) in result.stderr
