"""The fingerprints table spread over several MariaDB servers by hash, with MariaDB's Spider engine.

The head node is the server the app talks to: it keeps `songs` and `meta` and a Spider table
`fingerprints` partitioned by KEY (hash), one partition per shard. Each shard (a backend server) holds a
plain `fingerprints` table with the DDL the MySQL store uses, so the shards always match it.

    lines = setup_shards(head, shards)      # head: MySQLStore keywords; shards: host, port, user, ...

creates what is missing and says what it did; running it again changes nothing. The head needs the Spider
engine (Debian: mariadb-plugin-spider, then INSTALL SONAME 'ha_spider') and its user the FEDERATED ADMIN
privilege (for CREATE SERVER). Passwords are used to connect and stored in the head's mysql.servers (where
Spider reads them); they appear in no message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import MySQLdb

from database.base import StoreError, StoreUnavailableError
from database.mysql_store import FINGERPRINTS_DDL

TABLE = "fingerprints"
_ACCESS_DENIED = 1045
_UNKNOWN_DATABASE = 1049
_DATABASE_DENIED = 1044
_NEEDS_PRIVILEGE = 1227
_COLUMNS_END = re.compile(r"\)\s*ENGINE\s*=", re.IGNORECASE)
_INDEX = re.compile(r",\s*(?:PRIMARY\s+|UNIQUE\s+)?(?:KEY|INDEX)\b[^()]*\([^()]*\)", re.IGNORECASE)


def server_name(head_database: str, index: int) -> str:
    """The head's CREATE SERVER name of shard `index` (server names are global on the head)."""
    return f"{head_database}_shard{index}"[-64:]


def spider_table_ddl(head_database: str, shard_count: int) -> str:
    """The head's Spider table: the store's columns, one partition per shard, by KEY (hash).

    The shards keep the key; the head's table has none. Given one, the head's optimizer reads a long
    `hash IN (...)` as thousands of ranges, which Spider ships to each shard through a temporary table
    (about 6x slower here); without one, each shard gets the whole condition and uses its own key.
    """
    match = _COLUMNS_END.search(FINGERPRINTS_DDL)
    if match is None:
        raise StoreError("The fingerprints DDL has no ENGINE clause to replace.")
    columns = _INDEX.sub("", FINGERPRINTS_DDL[: match.start() + 1])
    partitions = ", ".join(
        f"PARTITION pt{index} COMMENT = 'srv \"{server_name(head_database, index)}\"'"
        for index in range(shard_count)
    )
    return (
        f'{columns} ENGINE=SPIDER COMMENT=\'wrapper "mysql", table "{TABLE}"\' '
        f"PARTITION BY KEY (hash) ({partitions})"
    )


def describe(options: Mapping[str, object]) -> str:
    """user@host:port/database of a server's connection options (never the password)."""
    if options.get("unix_socket"):
        where = f"unix:{options['unix_socket']}"
    else:
        where = f"{options.get('host', '127.0.0.1')}:{options.get('port', 3306)}"
    return f"{options.get('user', 'root')}@{where}/{options.get('database', 'dejavu')}"


def setup_shards(head: Mapping[str, object], shards: Sequence[Mapping[str, object]]) -> list[str]:
    """Create (or check) the sharded fingerprints table; return one line per thing done or found.

    `head` holds the MySQLStore keywords of the head node, each shard host, port, user, password and
    database. Raises StoreUnavailableError naming the shard or head that cannot be reached, lacks Spider
    or refuses a statement, and StoreError when the head's table already holds rows laid out otherwise.
    """
    if not shards:
        raise StoreError('No shards to set up: list the backend servers under "shards" in dejavu.cnf.')
    lines = []
    for index, shard in enumerate(shards):
        label = f"shard {index} ({describe(shard)})"
        with _connection(shard, label) as cursor:
            existed = _table_engine(cursor) is not None
            _run(cursor, label, FINGERPRINTS_DDL)
        lines.append(f"{label}: fingerprints table {'already there' if existed else 'created'}")
    head_database = str(head.get("database", "dejavu"))
    label = f"head node ({describe(head)})"
    with _connection(head, label) as cursor:
        _run(cursor, label, "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'SPIDER'")
        support = cursor.fetchone()
        if support is None or support[0] not in ("YES", "DEFAULT"):
            raise StoreUnavailableError(
                f"The {label} has no Spider storage engine. On the head, install the Debian package "
                "mariadb-plugin-spider and, as an administrator, run INSTALL SONAME 'ha_spider'."
            )
        for index, shard in enumerate(shards):
            name = server_name(head_database, index)
            _run(
                cursor,
                label,
                f"CREATE OR REPLACE SERVER `{name}` FOREIGN DATA WRAPPER mysql "
                "OPTIONS (HOST %s, PORT %s, USER %s, PASSWORD %s, DATABASE %s)",
                (
                    str(shard.get("host", "127.0.0.1")),
                    int(shard.get("port", 3306)),
                    str(shard.get("user", "root")),
                    str(shard.get("password", "")),
                    str(shard.get("database", "dejavu")),
                ),
                secret=str(shard.get("password", "")),
            )
            lines.append(f"{label}: server {name} -> shard {index}")
        lines.append(f"{label}: {_spider_table(cursor, label, head_database, len(shards))}")
    return lines


def _spider_table(cursor: MySQLdb.cursors.Cursor, label: str, head_database: str, shard_count: int) -> str:
    """Create the head's Spider table, or find it already sharded over these shards."""
    engine = _table_engine(cursor)
    wanted = [f'srv "{server_name(head_database, index)}"' for index in range(shard_count)]
    if engine is not None and engine.upper() == "SPIDER":
        _run(
            cursor,
            label,
            "SELECT PARTITION_COMMENT FROM information_schema.PARTITIONS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY PARTITION_ORDINAL_POSITION",
            (TABLE,),
        )
        if [comment for (comment,) in cursor.fetchall()] == wanted:
            return f"fingerprints already sharded by hash over {shard_count} shard(s)"
    if engine is not None:
        _run(cursor, label, f"SELECT 1 FROM {TABLE} LIMIT 1")
        if cursor.fetchone() is not None:
            layout = (
                "a Spider table over other shards" if engine.upper() == "SPIDER" else f"an {engine} table"
            )
            raise StoreError(
                f"The {label} already holds fingerprints in {layout}; setting up shards would strand them. "
                "Set up the shards on a new database, then copy the songs over (re-fingerprint them)."
            )
        _run(cursor, label, f"DROP TABLE {TABLE}")
    _run(cursor, label, spider_table_ddl(head_database, shard_count))
    verb = "replaced an empty table with" if engine is not None else "created"
    return f"{verb} the Spider table fingerprints, by KEY (hash) over {shard_count} shard(s)"


def _table_engine(cursor: MySQLdb.cursors.Cursor) -> str | None:
    cursor.execute(
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
        (TABLE,),
    )
    row = cursor.fetchone()
    return None if row is None else str(row[0])


@contextmanager
def _connection(options: Mapping[str, object], label: str) -> Iterator[MySQLdb.cursors.Cursor]:
    """A cursor on one server; connection errors name the server and never the password."""
    password = str(options.get("password", ""))
    address = (
        {"unix_socket": options["unix_socket"], "host": "localhost"}
        if options.get("unix_socket")
        else {"host": str(options.get("host", "127.0.0.1")), "port": int(options.get("port", 3306))}
    )
    try:
        connection = MySQLdb.connect(
            **address,
            user=str(options.get("user", "root")),
            password=password,
            database=str(options.get("database", "dejavu")),
            connect_timeout=int(options.get("connect_timeout_s", 5)),
            charset="utf8mb4",
            autocommit=True,
        )
    except MySQLdb.Error as exc:
        code, text = _code_text(exc, password)
        if code in (_ACCESS_DENIED, _DATABASE_DENIED, _UNKNOWN_DATABASE):
            hint = "Check its user, password and database, and that the database exists and is granted."
        else:
            hint = "Is its MySQL server running?"
        raise StoreUnavailableError(f"Cannot connect to the {label} ({text}). {hint}") from exc
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def _run(
    cursor: MySQLdb.cursors.Cursor,
    label: str,
    sql: str,
    parameters: tuple[object, ...] | None = None,
    *,
    secret: str = "",
) -> None:
    try:
        cursor.execute(sql, parameters)
    except MySQLdb.Error as exc:
        code, text = _code_text(exc, secret)
        hint = ""
        if code == _NEEDS_PRIVILEGE:
            hint = " As an administrator, run on the head: GRANT FEDERATED ADMIN ON *.* TO that user."
        raise StoreUnavailableError(
            f"The {label} refused a statement: MySQL error {code}: {text}.{hint}"
        ) from exc


def _code_text(exc: MySQLdb.Error, secret: str) -> tuple[int | None, str]:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    return code, text.replace(secret, "***") if secret else text
