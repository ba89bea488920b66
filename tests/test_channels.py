"""The channel registry: each channel under its config key with the section it reads, each webhook format under
the name sources.toml gives it; unknown names refused with the valid ones; a new channel is one registration."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest
from portal import settings

from monitor.alerts.channels import CHANNELS, FORMATS, Channel, DeliveryError, Link, Outgoing, register, send
from monitor.alerts.channels.eml import EmlFolder
from monitor.alerts.channels.registry import configured
from monitor.alerts.channels.webhook import Request, webhook_format
from monitor.alerts.events import recipients
from monitor.alerts.render import Renderer, sample_payload
from monitor.config import WEBHOOK_FORMATS, Email, Webhook

MAIL = Email("127.0.0.1", 25, "none", "年报监测 <monitor@example.gov.cn>", ("oversight@example.gov.cn",))
HOOK = Webhook("ops", "https://oapi.dingtalk.com/robot/send?access_token=t0ken", "dingtalk")


def test_channels_and_formats_are_registered_under_their_config_names_in_queue_order():
    assert list(CHANNELS) == ["email", "eml", "webhook"]
    assert tuple(FORMATS) == WEBHOOK_FORMATS


def test_each_address_resolves_to_its_own_section_only(tmp_path):
    cfg = settings(tmp_path, [], email=MAIL, webhooks=(HOOK,), outbox_dir=tmp_path / "mail")
    assert configured(cfg, "email")[1] is MAIL
    assert configured(cfg, "eml")[1] == EmlFolder(tmp_path / "mail", MAIL.sender)
    assert configured(cfg, "webhook:ops")[1] is HOOK
    assert recipients(cfg, None) == (
        ("email", "oversight@example.gov.cn"),
        ("eml", "oversight@localhost"),
        ("webhook:ops", "https://oapi.dingtalk.com/robot/send?access_token=***"),
    )


def test_an_unknown_channel_is_refused_for_good_naming_the_valid_ones(tmp_path):
    with pytest.raises(DeliveryError, match="unknown channel 'sms'; valid channels are email, eml, webhook") as exc:
        configured(settings(tmp_path, []), "sms")
    assert exc.value.permanent
    with pytest.raises(DeliveryError, match=r"webhook 'gone' is no longer in sources\.toml") as exc:
        configured(settings(tmp_path, []), "webhook:gone")
    assert not exc.value.permanent  # retried: the admin may put it back


def test_a_format_sources_toml_cannot_name_is_refused_at_registration():
    def slack(message: Outgoing, secret: str | None) -> Request:
        return Request("", {}, message.key.encode() + (secret or "").encode())

    with pytest.raises(
        ValueError, match=r"webhook format 'slack': sources\.toml accepts json, dingtalk, wecom, feishu"
    ):
        webhook_format("slack", robot=True)(slack)
    assert "slack" not in FORMATS


async def test_a_format_missing_from_the_registry_is_a_dead_letter_not_a_crash(tmp_path):
    cfg = settings(tmp_path, [], webhooks=(replace(HOOK, format="slack"),))  # a Settings made in code
    payload = sample_payload("test")
    message = Outgoing("test", "test|k", payload, Renderer().render("test", payload))
    async with Link() as link:
        with pytest.raises(DeliveryError, match="unknown format 'slack'; valid formats are json") as exc:
            await send(cfg, "webhook:ops", "r", message, link=link)
    assert exc.value.permanent


async def test_a_new_channel_is_one_registration_and_its_sender_gets_only_its_section(tmp_path):
    got = []

    async def page(section: str, recipient: str, message: Outgoing, _link: Link) -> None:
        got.append((section, recipient, message.key))

    register(
        Channel(
            "pager",
            "[alerts.pager]",
            lambda _settings: {"pager": "its section"},
            lambda _s, _src: ("on-call",),
            page,
            "",
        )
    )
    try:
        cfg = settings(tmp_path, [])
        assert recipients(cfg, None) == (("pager", "on-call"),)
        payload = sample_payload("test")
        message = Outgoing("test", "test|k", payload, Renderer().render("test", payload))
        async with Link() as link:
            await send(cfg, "pager", "on-call", message, link=link)
    finally:
        del CHANNELS["pager"]
    assert got == [("its section", "on-call", "test|k")]


def test_alerts_run_no_rule():
    """Events decide what is worth telling; the watcher runs the rules (timeliness.missing) and hands them the
    findings. No module of the alerts imports the checks."""
    folder = Path(__file__).resolve().parents[1] / "monitor" / "alerts"
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("monitor.checks"), path
