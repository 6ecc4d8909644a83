"""OpenAPI schema and Swagger UI, served without any CDN."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command


def test_schema_validates_without_warnings(db, tmp_path):
    # Fails on any warning of any app's endpoints: an undocumented endpoint breaks the build.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/me/units/" in (tmp_path / "schema.yaml").read_text()


@pytest.fixture
def client(client, db):
    """Signed in: in production the schema and the docs need a login (issue #15 item 16)."""
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    return client


def test_schema_and_docs_need_a_login_in_production(db):
    from django.test import Client

    anonymous = Client()
    assert anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 401
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302 and docs.url.startswith("/accounts/login/")
    assert anonymous.get("/api/docs/?script=").status_code == 302


def test_schema_endpoint_documents_every_api_path(client, db):
    from django.urls import get_resolver

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/me/units/",
        "/api/v1/me/units/{id}/",
        "/api/v1/me/announcements/",
        "/api/v1/estates/",
        "/api/v1/buildings/",
        "/api/v1/units/",
        "/api/v1/residents/",
        "/api/v1/announcements/",
        "/api/v1/announcements/{id}/",
    ]:
        assert path in paths, path
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    assert "Error" in schema["components"]["schemas"]
    assert get_resolver()  # the schema was built from the live URLconf


def test_error_responses_are_documented(client, db):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    create = paths["/api/v1/announcements/"]["post"]["responses"]
    for status in ("400", "401", "403"):
        assert create[status]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]


@pytest.fixture
def docs_html(client, db) -> str:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def test_swagger_ui_uses_local_static_files(client, docs_html):
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs_html)
    assert any(a.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/") for a in assets), assets
    assert not [a for a in assets if a.startswith(("http://", "https://", "//"))], assets
    # No inline script (Content-Security-Policy): the start script is a URL of its own.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs_html)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "/api/schema/" in script.content.decode()


def test_swagger_ui_assets_are_served(client, docs_html):
    assets = [a for a in re.findall(r'(?:src|href)="([^"]+)"', docs_html) if a.startswith("/static/")]
    assets = [a.replace("&amp;", "&") for a in assets]
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, asset


def test_enum_names_come_from_the_choices_classes():
    from community.accounts.roles import StaffRole
    from community.api.enums import ProjectEnumNames
    from community.residents.models import OccupancyRole, UnitUsage

    names = ProjectEnumNames()

    assert names["OccupancyRoleEnum"] is OccupancyRole
    assert names["StaffRoleEnum"] is StaffRole
    assert names["UnitUsageEnum"] is UnitUsage
    choice_sets = [tuple(sorted(map(str, cls.values))) for _name, cls in names.items()]
    assert len(choice_sets) == len(set(choice_sets)) == len(names)
