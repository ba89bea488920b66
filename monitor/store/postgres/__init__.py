"""The PostgreSQL store: one database several workers on several machines share (``database =
"postgresql://…"`` in ``[monitor]``), through psycopg 3 (the ``[postgres]`` extra).

``store`` (``PostgresStore``: the connection, the migrations run, the driver's errors turned into
``StorageError``) mixes in ``sources`` (sources, polls, listing pages, polls asked for, unreadable reports, the
source leases), ``versions`` (documents, versions, copy candidates), ``bodies`` (the bodies reports are
attributed to, a roster's aliases merged), ``outbox`` (events, deliveries and their claims) and ``queries``
(what the commands read back); ``schema`` holds the migrations, ``connected`` what the parts share, ``migrate``
copies a SQLite database in (`govmon db migrate-to`).

What several workers need and SQLite's single instance did not: a source is polled by one worker at a time
(its lease: ``start_polls``), a delivery is sent by one (``due_deliveries`` claims what it returns), an event
is stored once (its unique key), and a host is asked at most ``per_host`` requests at once in total
(``host_slot``). Each lease has an expiry, so a killed worker's share is taken over.
"""
