"""Throw-away servers owned by a test: a private Redis on a free port (never the machine's)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, up: bool, timeout: float = 10.0) -> None:
    """Return once ``port`` accepts (``up``) or refuses connections; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {timeout} s")


class PrivateRedis:
    """A redis-server of this test only, without persistence: stop() loses everything."""

    def __init__(self):
        if REDIS_SERVER is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server).")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = Path(tempfile.mkdtemp(prefix="ef-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, up=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        wait_for_port(self.port, up=False)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def connection_target(settings_dict: dict) -> dict[str, str]:
    """Where ``settings_dict`` connects: host (a socket folder for the embedded server), port,
    user, password and database, as Django's backend resolves them."""
    options = settings_dict.get("OPTIONS") or {}
    return {
        "host": settings_dict.get("HOST") or options.get("host") or "/var/run/postgresql",
        "port": str(settings_dict.get("PORT") or options.get("port") or 5432),
        "user": settings_dict.get("USER") or options.get("user") or "postgres",
        "password": settings_dict.get("PASSWORD") or options.get("password") or "",
        "name": settings_dict["NAME"],
    }


class PrivatePostgres:
    """A PostgreSQL cluster of this test only (pgserver's binaries, a temporary folder).

    As root, pgserver runs it as its own system user, as the embedded development server.
    """

    def __init__(self):
        import pgserver

        self.dir = Path(tempfile.mkdtemp(prefix="ef-pg-"))
        self.server = pgserver.get_server(self.dir / "data", cleanup_mode="delete")
        info = self.server.get_postmaster_info()
        self.socket_dir = str(info.socket_dir)

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", *args], pgdata=self.server.pgdata, user=self.server.system_user)

    def create_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            f"postgresql://postgres@/postgres?host={self.socket_dir}", autocommit=True
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def copy_from(self, settings_dict: dict, name: str) -> None:
        """Copy the database of ``settings_dict`` (schemas and committed rows) into ``name``."""
        from pgserver._commands import POSTGRES_BIN_PATH

        self.create_database(name)
        target = connection_target(settings_dict)
        env = {"PGPASSWORD": target["password"]}
        source = [
            "--host",
            target["host"],
            "--port",
            target["port"],
            "--username",
            target["user"],
            target["name"],
        ]
        dump = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_dump"), "--format=plain", "--no-owner", *source],
            capture_output=True,
            check=True,
            env={**env, "PATH": "/usr/bin:/bin"},
        )
        # Some servers carry private column options (« pg_attver ») another one refuses.
        script = b"\n".join(
            line for line in dump.stdout.splitlines() if b"SET (pg_attver=" not in line
        )
        restored = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "--quiet",
                "--no-psqlrc",
                "--set",
                "ON_ERROR_STOP=1",
                "--host",
                self.socket_dir,
                "--username",
                "postgres",
                "--dbname",
                name,
            ],
            input=script,
            capture_output=True,
        )
        if restored.returncode:
            raise RuntimeError(restored.stderr.decode()[:3000])

    def stop(self) -> None:
        # pg_ctl restart reuses postmaster.opts; a plain start does not: keep them.
        self._options = (self.server.pgdata / "postmaster.opts").read_text()
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        import shlex

        words = shlex.split(self._options)[1:]  # without the postgres binary itself
        options = []
        while words:
            word = words.pop(0)
            if word == "-D":
                words.pop(0)
                continue
            options.append(shlex.quote(word))
        self._pg_ctl("-l", str(self.server.pgdata / "log"), "-o", " ".join(options), "start")

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.server.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)


class StubSMTP:
    """A minimal SMTP server on loopback that counts the messages it accepted.

    ``hold_first`` makes it keep the first DATA unanswered (``data_started`` is set) until
    the client goes away: a message is delivered only once the server has said 250.
    """

    def __init__(self, *, hold_first: bool = False):
        import threading

        self.hold = hold_first
        self.delivered: list[bytes] = []
        self.data_started = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        import threading

        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        with contextlib.suppress(OSError), conn:
            conn.sendall(b"220 stub ESMTP\r\n")
            for line in reader:
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250 stub\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    body = b""
                    for data_line in reader:
                        if data_line == b".\r\n":
                            break
                        body += data_line
                    else:
                        return  # the client went away mid-message: nothing delivered
                    if self.hold:
                        self.hold = False
                        self.data_started.set()
                        # Never answered: the client is killed while waiting for our 250.
                        reader.read()
                        return
                    self.delivered.append(body)
                    conn.sendall(b"250 queued\r\n")
                elif command == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # MAIL, RCPT, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.sock.close()
