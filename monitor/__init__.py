"""govreport-monitor: watches portals for 政府信息公开工作年度报告, checks them, alerts oversight staff.

Stages, in pipeline order (each imports only the ones before it):
config -> fetch -> discover -> extract -> normalise -> tables -> parse -> narrative -> rules
-> diff -> store -> alerts -> channels -> scheduler -> cli. ``errors.py`` is shared by all;
``demo/`` is the bundled demo portal (and the seed pages the tests read).
"""

__version__ = "0.1.0"
