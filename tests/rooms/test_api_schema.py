"""schemathesis against the project's own /api/schema/, on a real server: no 5xx, responses
match the schema, and authentication and CSRF errors are 4xx in the documented error shape."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.live import LiveSite, guest_session

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

EXAMPLES_PER_OPERATION = 25
# Signing out ends the session the other operations run with; it has tests of its own.
SKIPPED_OPERATIONS = {"POST /api/auth/logout/"}


def error_shape(ctx, response, case):
    """Every 4xx/5xx from the API has the one error shape."""
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "detail"} <= set(body["error"]), body


@pytest.fixture
def site(tmp_path, redis_url):
    live = LiveSite(tmp_path, redis_url=redis_url).start()
    yield live
    live.stop()


def test_every_api_operation_keeps_its_schema_under_generated_input(site):
    schema = schemathesis.openapi.from_url(site.url() + "/api/schema/?format=json")
    session = guest_session(site.url(), "Schema Tester")
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in SKIPPED_OPERATIONS:
            continue

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def exercise(case):
            case.call_and_validate(base_url=site.url(), session=session, additional_checks=[error_shape])

        exercise()
        tested.append(label)
    assert "POST /api/rooms/{slug}/messages/" in tested and len(tested) >= 10


def test_anonymous_and_csrf_failures_are_documented_4xx(site):
    schema = schemathesis.openapi.from_url(site.url() + "/api/schema/?format=json")
    anonymous = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/auth/") and operation.path != "/api/auth/logout/":
            continue
        case = operation.as_strategy().example()
        if case.path_parameters:
            # Generated slugs may not route at all; the point here is the auth answer.
            case.path_parameters = {"slug": "general", "message_id": 1} | {
                key: value for key, value in case.path_parameters.items() if key not in ("slug", "message_id")
            }
        response = case.call(base_url=site.url(), session=anonymous)
        assert response.status_code in (401, 403), (operation.path, response.status_code, response.text)
        assert response.json()["error"]["code"] in {"not_authenticated", "csrf_failed"}
