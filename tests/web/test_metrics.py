"""The web server exposes the Prometheus metrics at /metrics."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session


def test_metrics_served_without_sign_in(client: TestClient, session: Session) -> None:
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "caseconsultant_" in response.text
    assert "@" not in response.text
