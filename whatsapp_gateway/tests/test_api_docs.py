from whatsapp_gateway.authentication import SCHEME_DESCRIPTION


def test_it_serves_an_openapi_3_schema_with_the_api_key_scheme(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": SCHEME_DESCRIPTION,
    }
    assert "/api/v1/transports/" in schema["paths"]


def test_it_serves_swagger_ui_and_redoc_without_a_cdn(client, db):
    swagger = client.get("/api/docs/")
    assert swagger.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in swagger.content
    redoc = client.get("/api/redoc/")
    assert redoc.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in redoc.content


def test_the_openapi_schema_is_valid_and_has_no_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")
