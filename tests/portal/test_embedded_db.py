"""The embedded PostgreSQL: started once, reused, stopped cleanly."""

import psycopg

from portal import embedded_db


def test_embedded_server_starts_once_is_reused_and_stops(tmp_path):
    pgdata = tmp_path / "pg"
    url, started = embedded_db.start(pgdata, database="essai")
    try:
        assert started
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("essai",)
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
        again, started_again = embedded_db.start(pgdata, database="essai")
        assert (again, started_again) == (url, False)
    finally:
        assert embedded_db.stop(pgdata) is True
    assert embedded_db.stop(pgdata) is False
    assert embedded_db._running_info(pgdata) is None
