"""The browser-phone profile (freeswitch-conf sofia.conf.xml "webrtc") on a real FreeSWITCH: with a
certificate made by openssl in a tls dir (HOTLINE_TLS_DIR) and a WSS port (HOTLINE_WSS_BINDING) it
listens for SIP over secure WebSocket, speaks TLS with that certificate, and logs no error.

Skipped by name without HOTLINE_FREESWITCH_BIN (a freeswitch binary) or without openssl."""
from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from control.bench.fsboot import boot, free_port, stop

BIN = os.environ.get("HOTLINE_FREESWITCH_BIN", "")
pytestmark = [pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary"),
              pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is missing")]


def self_signed(tls_dir: Path, host: str = "127.0.0.1") -> None:
    """tls-cert-dir/wss.pem: the key, then the certificate, as mod_sofia reads it (sofia.c)."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
                    "-keyout", str(tls_dir / "wss.key"), "-out", str(tls_dir / "wss.crt")],
                   check=True, capture_output=True)
    (tls_dir / "wss.pem").write_bytes((tls_dir / "wss.key").read_bytes() + (tls_dir / "wss.crt").read_bytes())


@pytest.fixture(scope="module")
def switch(tmp_path_factory):
    base = tmp_path_factory.mktemp("fswss")
    self_signed(base / "tls")
    wss_port = free_port()
    sw = boot(BIN, base, site={"HOTLINE_WSS_BINDING": f"127.0.0.1:{wss_port}", "HOTLINE_TLS_DIR": base / "tls"})
    sw.extra["wss_port"] = wss_port
    yield sw
    stop(sw.proc)


def test_sofia_status_shows_the_wss_binding(switch):
    assert re.search(r"^\s*webrtc\s+profile\s+sip:mod_sofia@127\.0\.0\.1:\d+\s+RUNNING", switch.api("sofia status"), re.M)
    detail = switch.api("sofia status profile webrtc")
    port = switch.extra["wss_port"]
    assert re.search(rf"^WSS-BIND-URL\s+sips:mod_sofia@127\.0\.0\.1:{port};transport=wss$", detail, re.M), detail
    assert re.search(r"^CODECS IN\s+OPUS,PCMU$", detail, re.M), detail
    assert re.search(r"^CODECS OUT\s+OPUS,PCMU$", detail, re.M), detail


def test_the_wss_port_speaks_tls_with_the_configured_certificate(switch):
    ctx = ssl.create_default_context(cafile=str(switch.base / "tls" / "wss.crt"))
    with socket.create_connection(("127.0.0.1", switch.extra["wss_port"]), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:   # verifies the chain and the IP
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_opus_is_loaded_and_no_error_was_logged(switch):
    assert "true" in switch.api("module_exists mod_opus")
    assert switch.bad_log_lines() == []


def test_without_a_wss_binding_the_profile_has_no_websocket(tmp_path):
    sw = boot(BIN, tmp_path)
    try:
        detail = sw.api("sofia status profile webrtc")
        assert "BIND-URL" in detail and "WSS-BIND-URL" not in detail, detail
        assert sw.bad_log_lines() == []
    finally:
        stop(sw.proc)
