from pathlib import Path

import pytest

from consultant.config import get_settings, reset_settings
from consultant.errors import ConfigError


def test_missing_setting_is_named() -> None:
    settings = get_settings()

    with pytest.raises(ConfigError) as caught:
        settings.require("imap_host", "from_address")

    assert "CASECONSULTANT_IMAP_HOST" in str(caught.value)
    assert "CASECONSULTANT_FROM_ADDRESS" in str(caught.value)


def test_missing_settings_message_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_IMAP_HOST", "127.0.0.1")
    reset_settings()
    settings = get_settings()

    with pytest.raises(ConfigError) as one:
        settings.require("imap_host", "imap_username")
    with pytest.raises(ConfigError) as two:
        settings.require("imap_username", "from_address")
    with pytest.raises(ConfigError) as three:
        settings.require("imap_username", "imap_password", "from_address")

    assert str(one.value).startswith(
        "missing setting: CASECONSULTANT_IMAP_USERNAME (set it in the environment or in "
        "caseconsultant.toml)"
    )
    assert str(two.value).startswith(
        "missing settings: CASECONSULTANT_IMAP_USERNAME and CASECONSULTANT_FROM_ADDRESS "
        "(set them in the environment or in caseconsultant.toml)"
    )
    assert str(three.value).startswith(
        "missing settings: CASECONSULTANT_IMAP_USERNAME, CASECONSULTANT_IMAP_PASSWORD and "
        "CASECONSULTANT_FROM_ADDRESS (set them "
    )



def test_missing_setting_points_to_running_dev(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "dev.toml").write_text('imap_host = "127.0.0.1"\n')
    monkeypatch.delenv("CASECONSULTANT_CONFIG_FILE", raising=False)
    monkeypatch.setenv("CASECONSULTANT_DATA_DIR", str(tmp_path))
    reset_settings()

    with pytest.raises(ConfigError) as caught:
        get_settings().require("imap_host")

    assert f"CASECONSULTANT_CONFIG_FILE={tmp_path / 'dev.toml'}" in str(caught.value)

@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CASECONSULTANT_IMAP_PORT", "not-a-port"),
        ("CASECONSULTANT_IMAP_PORT", "70000"),
        ("CASECONSULTANT_IMAP_TLS", "sometimes"),
        ("CASECONSULTANT_POLL_INTERVAL", "0"),
        ("CASECONSULTANT_FROM_ADDRESS", "no-at-sign"),
    ],
)
def test_invalid_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    reset_settings()

    with pytest.raises(ConfigError) as caught:
        get_settings()

    assert name in str(caught.value)


def test_toml_file_sets_values_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "site.toml"
    config.write_text('imap_host = "127.0.0.1"\npoll_interval = 15\n')
    monkeypatch.setenv("CASECONSULTANT_CONFIG_FILE", str(config))
    monkeypatch.setenv("CASECONSULTANT_POLL_INTERVAL", "30")
    reset_settings()

    settings = get_settings()

    assert settings.imap_host == "127.0.0.1"
    assert settings.poll_interval == 30


def test_default_ports_follow_tls_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECONSULTANT_IMAP_TLS", "starttls")
    monkeypatch.setenv("CASECONSULTANT_SMTP_TLS", "ssl")
    reset_settings()

    settings = get_settings()

    assert settings.resolved_imap_port == 143
    assert settings.resolved_smtp_port == 465
