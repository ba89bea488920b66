"""Secrets out of everything govmon writes: a robot's ``access_token``/``key``/``sign`` in a webhook URL and a
``user:password@`` in any URL become ``***`` in log lines, printed outputs and the database.

``redact`` works on any text (a message that quotes a URL); ``Redacting`` is the log formatter that applies it
to every line, so no call site has to remember.
"""

from __future__ import annotations

import logging
import re

# query parameters that carry a credential in the robots' URLs (DingTalk access_token, WeCom key, ...)
_QUERY = re.compile(r"(?i)([?&](?:access_token|token|key|secret|sign|signature|password|pwd|auth)=)[^&#\s\"'<>]+")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s\"'<>]+@")
# the last path segment of the robots that put the token in the path (Feishu .../hook/<token>, Slack-like)
_PATH_TOKEN = re.compile(r"(/(?:hook|hooks|webhook|bot)/(?:v\d+/)?(?:hook/)?)[A-Za-z0-9_\-]{16,}")


def redact(text: str) -> str:
    """``text`` with every URL credential replaced by ``***``."""
    text = _QUERY.sub(r"\1***", text)
    text = _USERINFO.sub(r"\1***@", text)
    return _PATH_TOKEN.sub(r"\1***", text)


class Redacting(logging.Formatter):
    """A formatter whose lines never carry a URL credential."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
