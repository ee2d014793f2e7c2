"""A local IMAP server: pymap's maildir backend in a child process, on loopback only."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pysasl.hashing import BuiltinHash

from consultant.errors import ConsultantError

LOOPBACK = "127.0.0.1"
# Enough PBKDF2 rounds for a loopback test mailbox while keeping each login fast.
_DEV_HASH_ROUNDS = 1000
_PYMAP_MAIN = "import sys; from pymap.main import main; sys.exit(main())"


@dataclass
class LocalImapServer:
    """A running pymap server and the one mailbox user it serves."""

    process: subprocess.Popen[bytes]
    port: int
    username: str
    password: str
    base_dir: Path

    @property
    def host(self) -> str:
        return LOOPBACK

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Return whether a server could listen on loopback *port* right now."""
    with socket.socket() as probe:
        # As the servers do: connections of a stopped server left in TIME_WAIT do not
        # block the port, while a program listening on it does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def wait_for_port(
    port: int, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until something accepts connections on loopback *port*."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ConsultantError(
                f"the server for port {port} exited with code {process.returncode}"
            )
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise ConsultantError(
        f"nothing accepted connections on {LOOPBACK}:{port} within {timeout:.0f}s"
    )


def write_users(base_dir: Path, username: str, password: str) -> None:
    """Write pymap's passwd and shadow files for one user whose maildir is base_dir/username."""
    base_dir.mkdir(parents=True, exist_ok=True)
    (base_dir / "pymap-etc-passwd").write_text(f"{username}:x::::{username}:\n")
    hashed = BuiltinHash(rounds=_DEV_HASH_ROUNDS).hash(password)
    shadow = base_dir / "pymap-etc-shadow"
    shadow.write_text(f"{username}:{hashed}\n")
    shadow.chmod(0o600)


def start_imap_server(
    base_dir: Path,
    username: str,
    password: str,
    port: int | None = None,
    log_file: Path | None = None,
    tls_files: tuple[Path, Path] | None = None,
) -> LocalImapServer:
    """Start pymap on loopback serving *username*'s maildir under *base_dir*.

    With *tls_files* (certificate chain and key, PEM) the server offers STARTTLS;
    without them it speaks plain IMAP, which is only ever used on loopback.
    """
    write_users(base_dir, username, password)
    # Another program on the port would accept the connections that show the server is
    # up, while pymap itself fails to listen.
    if port and not port_is_free(port):
        raise ConsultantError(f"port {port} on {LOOPBACK} is in use")
    port = port or free_port()
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    output = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    if tls_files is None:
        tls_args = ["--no-tls"]
    else:
        tls_args = ["--cert", str(tls_files[0]), "--key", str(tls_files[1])]
    # This interpreter runs pymap on a loopback port of dev's choosing.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", _PYMAP_MAIN, "--host", LOOPBACK, "--port", str(port), *tls_args,
         "maildir", str(base_dir)],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    if log_file is not None:
        output.close()  # type: ignore[union-attr]
    try:
        wait_for_port(port, process=process)
    except ConsultantError:
        process.kill()
        raise
    if process.poll() is not None:
        raise ConsultantError(f"the IMAP server exited with code {process.returncode}")
    return LocalImapServer(process, port, username, password, base_dir)
