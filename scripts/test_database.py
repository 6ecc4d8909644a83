"""Print the DATABASE_URL the test suite should use, and why, on stderr.

DATABASE_URL when set; else the local PostgreSQL at 127.0.0.1:5432 when it answers; else SQLite.
"""

import os
import socket
import sys

url = os.environ.get("DATABASE_URL")
if url:
    reason = "DATABASE_URL"
else:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        url, reason = (
            "postgres://postgres@127.0.0.1:5432/community",
            "local PostgreSQL answered on 127.0.0.1:5432",
        )
    except OSError:
        url, reason = "sqlite:///var/test.sqlite3", "no PostgreSQL: embedded SQLite"
print(url)
engine = (
    "PostgreSQL"
    if url.startswith(("postgres", "pgsql"))
    else "SQLite"
    if url.startswith("sqlite")
    else url.split(":")[0]
)
print(f"make test: running the suite on {engine} ({reason})", file=sys.stderr)
