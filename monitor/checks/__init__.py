"""Stage: checks. A parsed report (and what it is compared with) -> findings.

Each rule is a small function registered under its contract id with a fixed severity (``registry``), in the
module of its family: ``completeness`` (parts, tables, cells, format), ``arithmetic`` (the identities of
sections 三 and 四), ``prose`` (numbers in the prose against the tables, with ``phrases``), ``history`` (the
year before, copies: ``copies``), ``timeliness`` (deadlines) and ``revision`` (what changed since the version
before). A new rule is one decorated function in its family; ``pipeline.run_rules`` is the one check.
"""
