"""A throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests that run against both store backends.

The cluster is made with initdb in a temporary folder and started with pg_ctl once per session
(on 127.0.0.1 at a free port, and on a unix socket in the same folder), durability switched off
since nothing in it must survive: about 1.4 s. Each test gets a database cloned from a template
(pg_url: PostGIS only, for making a store; pg_store_url: an empty store of the latest schema),
about 0.08 s. initdb refuses to run as root, so as root the
cluster runs as the `postgres` user. A watchdog shell stops the cluster if pytest dies without
its teardown (killed, or interrupted), so no server is ever left running.

Without PostgreSQL 15 and PostGIS the fixtures fail loudly: `bash scripts/install.sh` installs
them (Debian's postgresql-15 and postgresql-15-postgis-3).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("GRIDSIGHT_PG_BIN", "/usr/lib/postgresql/15/bin"))
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
SUPERUSER = "postgres"
EMPTY_TEMPLATE = "gridsight_empty"  # PostGIS only, what a DBA hands over for a new store
STORE_TEMPLATE = "gridsight_store"  # an empty store of this gridsight's schema, made on first use
_SERVER_SETTINGS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                    "-c max_connections=60 -c shared_buffers=32MB")


class PgClusterError(RuntimeError):
    """The test cluster could not be made or started; the message says what is missing."""


class PgCluster:
    """One PostgreSQL cluster in a temporary folder, owned by the `postgres` user when run as root."""

    def __init__(self, durable: bool = False) -> None:
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not (PG_BIN / tool).is_file():
                raise PgClusterError(f"PostgreSQL 15 not found ({PG_BIN / tool} missing): "
                                     "run `bash scripts/install.sh` (apt postgresql-15)")
        if not POSTGIS_CONTROL.is_file():
            raise PgClusterError(f"PostGIS not found ({POSTGIS_CONTROL} missing): "
                                 "run `bash scripts/install.sh` (apt postgresql-15-postgis-3)")
        self._as_root = os.geteuid() == 0
        # Durable: a commit survives the server being killed (synchronous_commit); the OS is not.
        self._settings = _SERVER_SETTINGS + (" -c synchronous_commit=on" if durable else "")
        # Not under pytest's tmp_path: its folders are private to root, and the server runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="gridsight-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._watchdog: subprocess.Popen | None = None
        self._store_template_made = False
        if self._as_root:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            os.chmod(self.folder, 0o755)

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def start(self) -> None:
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self._start_server()
        self._start_watchdog()
        self.psql("postgres", f'CREATE DATABASE "{EMPTY_TEMPLATE}"')
        self.psql(EMPTY_TEMPLATE, "CREATE EXTENSION postgis")

    def _start_server(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-w", "-t", "30", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 {self._settings}",
                  "start")

    def kill_server(self) -> None:
        """Take the server away at once, as a crash or a pulled cable would (its data stays)."""
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def restart_server(self) -> None:
        """Bring the server back after kill_server, on the same port and data."""
        self._start_server()

    def stop(self) -> None:
        """Stop at once (nothing in the cluster is worth a clean shutdown) and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            if self._watchdog is not None:
                os.killpg(self._watchdog.pid, signal.SIGKILL)  # the shell and its sleep
                self._watchdog.wait()
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str, *, socket_form: bool = False) -> str:
        if socket_form:
            return f"postgresql:///{database}?host={self.socket_dir}&port={self.port}&user={SUPERUSER}"
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str = EMPTY_TEMPLATE) -> str:
        """A new database cloned from `template`; its name."""
        if template == STORE_TEMPLATE and not self._store_template_made:
            self._make_store_template()
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.psql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def _make_store_template(self) -> None:
        from data.store import Store

        self.psql("postgres", f'CREATE DATABASE "{STORE_TEMPLATE}" TEMPLATE "{EMPTY_TEMPLATE}"')
        Store.create(self.url(STORE_TEMPLATE)).close()
        self._store_template_made = True

    def drop_database(self, name: str) -> None:
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def psql(self, database: str, sql: str) -> str:
        result = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
             "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-c", sql],
            capture_output=True, text=True, check=False)
        if result.returncode:
            raise PgClusterError(f"psql {sql!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def _run(self, tool: str, *args) -> None:
        command = [str(PG_BIN / tool), *map(str, args)]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgClusterError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}\n{tail}")

    def _start_watchdog(self) -> None:
        """Stop the cluster when this process is gone, however it went."""
        stop = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        if self._as_root:
            stop = ["runuser", "-u", SUPERUSER, "--", *stop]
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"{' '.join(stop)} >/dev/null 2>&1; rm -rf {self.folder}")
        self._watchdog = subprocess.Popen(["sh", "-c", script], start_new_session=True,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's PostgreSQL + PostGIS cluster, started on first use and always stopped."""
    cluster = PgCluster()
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a new, empty database with PostGIS (dropped after the test)."""
    name = pg_cluster.new_database()
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def pg_store_url(pg_cluster):
    """The URL of a new store on PostgreSQL (an empty one of the latest schema, cloned: faster than
    migrating an empty database for every test); dropped after the test."""
    name = pg_cluster.new_database(STORE_TEMPLATE)
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture(params=["geopackage", "postgis"])
def store_location(request, tmp_path):
    """Where a new store can be made, once on each backend: a GeoPackage path, then the URL of an
    empty PostgreSQL database."""
    if request.param == "geopackage":
        return str(tmp_path / "city.gpkg")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def own_pg_cluster():
    """A cluster of the test's own, which it may kill and restart (kill_server, restart_server)
    without hurting the session's, and where a commit survives the kill; about 1.5 s."""
    cluster = PgCluster(durable=True)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
