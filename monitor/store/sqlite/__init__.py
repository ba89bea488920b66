"""The SQLite store, the embedded default: one file beside the configuration, WAL, through sqlite-utils.

``store`` (``SqliteStore``: the connection, the migrations run, SQLite's errors turned into ``StorageError``)
mixes in ``sources`` (sources, polls, listing pages, polls asked for), ``versions`` (documents, versions,
copy candidates), ``unreadable``, ``outbox`` (events and deliveries) and ``queries`` (what the commands read
back); ``rows`` decodes rows into the records, ``schema`` holds the migrations and how text is packed, ``driver`` imports
sqlite-utils. Beside
them, for this store only: ``lock`` (one `run`/`poll` per database file) and ``backup`` (SQLite's online backup).

Only ``monitor.store`` imports this package (``open_store``); nothing here is a caller's business.
"""
