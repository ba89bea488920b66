"""Stage: present. What people read: ``cli`` (the ``govmon`` command: it wires and prints), ``check`` (what
``govmon check`` prints), ``admin`` (sources, reports, alerts), ``status`` (each source's standing for a year),
``overview`` (the static site) and ``health``.
"""
