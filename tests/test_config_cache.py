"""The cache of a validated sources.toml (monitor/config/cache.py): used only for a byte-identical file read by the
same code in the same environment; never holding a secret; a damaged one ignored and written again."""

from __future__ import annotations

import pytest
from test_config import VALID, write

import monitor
from monitor import config
from monitor.config import cache, load
from monitor.errors import ConfigError


@pytest.fixture
def cached(monkeypatch):
    """Every file cached (the fixtures are small), and each validation of a file counted."""
    monkeypatch.setattr(cache, "CACHE_ABOVE", 0)
    monkeypatch.setenv("GOVMON_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("GOVMON_WEBHOOK_SECRET", "hook")
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    validated: list[str] = []
    real = config._validate

    def counted(path, text):
        validated.append(path.name)
        return real(path, text)

    monkeypatch.setattr(config, "_validate", counted)
    return validated


def caches(folder):
    cache.written()  # (written in a thread while the settings are made)
    return sorted(folder.glob(".govmon-config-*.cache"))


def test_a_second_load_reads_the_cache_and_equals_a_validation(tmp_path, cached):
    path = write(tmp_path, VALID)
    first = load(path)
    assert cached == ["sources.toml"]
    assert len(caches(tmp_path)) == 1
    again = load(path)
    assert cached == ["sources.toml"]  # not validated again
    assert again == first
    assert again.sources[0].link_pattern.pattern == first.sources[0].link_pattern.pattern
    assert again.email.password == "s3cret"
    assert again.webhooks[0].secret == "hook"


def test_the_cache_holds_no_secret(tmp_path, cached):
    load(write(tmp_path, VALID))
    kept = caches(tmp_path)[0].read_bytes()
    assert b"GOVMON_SMTP_PASSWORD" in kept  # the name of the variable, as the file has it
    assert b"s3cret" not in kept
    assert b"hook\x00" not in kept
    assert b"\xdahook" not in kept


def test_secrets_come_from_the_environment_at_every_load(tmp_path, cached, monkeypatch):
    path = write(tmp_path, VALID)
    load(path)
    monkeypatch.setenv("GOVMON_SMTP_PASSWORD", "changed")
    assert load(path).email.password == "changed"
    monkeypatch.delenv("GOVMON_SMTP_PASSWORD")
    line = next(n for n, x in enumerate(VALID.split("\n"), 1) if x.startswith("password_env"))
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(exc.value).startswith(f"{path}:{line}: [alerts.email] key 'password_env': environment variable")
    assert load(path, secrets=False).email.password is None  # a command that does not send needs none
    assert cached == ["sources.toml"]


@pytest.mark.parametrize(
    ("old", "new", "field", "value"),
    [
        ('interval = "12h"', 'interval = "13h"', "interval", 13 * 3600),
        ("max_pages = 3", "max_pages = 4", "max_pages", 4),
    ],
)
def test_one_byte_edited_is_validated_again(tmp_path, cached, old, new, field, value):
    path = write(tmp_path, VALID)
    load(path)
    assert len(VALID.replace(old, new)) == len(VALID)  # the same size, one byte other
    write(tmp_path, VALID.replace(old, new))
    after = load(path)
    assert cached == ["sources.toml", "sources.toml"]
    assert value in (getattr(s, field) for s in after.sources)


def test_an_edit_that_breaks_the_file_names_file_line_and_key_despite_the_cache(tmp_path, cached):
    path = write(tmp_path, VALID)
    load(path)
    text = VALID.replace('kind = "department"', 'kind = "departmen"')
    write(tmp_path, text)
    line = next(n for n, x in enumerate(text.split("\n"), 1) if "departmen" in x)
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(exc.value).startswith(f"{path}:{line}: [[source]] #2 key 'kind'")


def test_the_state_directory_the_file_depends_on_is_part_of_the_key(tmp_path, cached, monkeypatch):
    """A cache made under one STATE_DIRECTORY, found under another (copied there): not used; the database is
    the new folder's."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    path = write(tmp_path, VALID.replace('database = "govmon.db"\n', ""))
    monkeypatch.setenv("STATE_DIRECTORY", str(first))
    assert load(path).database == first / "govmon.db"
    (kept,) = caches(first)
    (second / kept.name).write_bytes(kept.read_bytes())
    monkeypatch.setenv("STATE_DIRECTORY", str(second))
    assert load(path).database == second / "govmon.db"
    assert len(cached) == 2


def test_a_file_that_sets_state_dir_shares_its_cache_between_service_and_admin(tmp_path, cached, monkeypatch):
    """The service has STATE_DIRECTORY, an admin's shell has not: with `state_dir` in the file neither changes
    the settings, so both use one cache; without it, each its own (test above)."""
    (tmp_path / "state").mkdir()
    path = write(tmp_path, VALID.replace("[monitor]\n", '[monitor]\nstate_dir = "state"\n'))
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "elsewhere"))
    service = load(path)
    monkeypatch.delenv("STATE_DIRECTORY")
    assert load(path) == service
    assert len(cached) == 1
    assert service.database == tmp_path / "state" / "govmon.db"


def test_a_state_dir_in_the_file_holds_the_cache(tmp_path, cached):
    path = write(tmp_path, VALID.replace("[monitor]\n", '[monitor]\nstate_dir = "state"\n'))
    (tmp_path / "state").mkdir()
    settings = load(path)
    assert settings.database == tmp_path / "state" / "govmon.db"
    assert len(caches(tmp_path / "state")) == 1
    assert not caches(tmp_path)
    assert load(path) == settings
    assert len(cached) == 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated (a disk full mid-write of another tool, a copy cut short)
        lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:],  # one bit flipped
        lambda _: b"",
        lambda b: b"\x00" * len(b),
        lambda b: b[:32] + b"not marshal",
    ],
)
def test_a_damaged_cache_is_ignored_and_written_again(tmp_path, cached, damage):
    path = write(tmp_path, VALID)
    good = load(path)
    (kept,) = caches(tmp_path)
    kept.write_bytes(damage(kept.read_bytes()))
    assert load(path) == good
    assert len(cached) == 2  # validated again
    assert load(path) == good
    assert len(cached) == 2


def test_a_cache_that_is_not_a_file_is_ignored(tmp_path, cached):
    path = write(tmp_path, VALID)
    good = load(path)
    (kept,) = caches(tmp_path)
    kept.unlink()
    kept.mkdir()  # cannot be read, cannot be replaced
    assert load(path) == good
    assert load(path) == good
    assert len(cached) == 3


def test_a_cache_of_another_govmon_is_not_used(tmp_path, cached, monkeypatch):
    path = write(tmp_path, VALID)
    load(path)
    monkeypatch.setattr(monitor, "__version__", monitor.__version__ + ".1")
    cache.code.cache_clear()
    try:
        load(path)
        assert len(cached) == 2
        load(path)
        assert len(cached) == 2  # this version's own cache, written over the other's
    finally:
        cache.code.cache_clear()


def test_two_configurations_in_one_folder_keep_their_own(tmp_path, cached):
    a = write(tmp_path, VALID, "a.toml")
    b = write(tmp_path, VALID.replace('id = "tongliao"', 'id = "kailu"'), "b.toml")
    for _ in range(2):
        assert load(a).sources[0].id == "tongliao"
        assert load(b).sources[0].id == "kailu"
    assert cached == ["a.toml", "b.toml"]
    assert len(caches(tmp_path)) == 2


def test_the_same_file_read_by_another_path_is_its_own(tmp_path, cached, monkeypatch):
    """`--config sources.toml` from its folder and the absolute path: Settings.path (and what is relative to
    it) as each was given."""
    path = write(tmp_path, VALID)
    absolute = load(path)
    monkeypatch.chdir(tmp_path)
    relative = load("sources.toml")
    assert str(relative.path) == "sources.toml"
    assert relative.path != absolute.path
    assert len(cached) == 2


def test_a_small_file_is_not_cached(tmp_path, cached, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_ABOVE", len(VALID.encode()))
    path = write(tmp_path, VALID)
    load(path)
    load(path)
    assert not caches(tmp_path)
    assert len(cached) == 2


def test_an_unwritable_state_folder_loses_nothing(tmp_path, cached):
    (tmp_path / "state").write_text("a file where the folder would be")
    path = write(tmp_path, VALID.replace("[monitor]\n", '[monitor]\nstate_dir = "state"\n'))
    assert load(path).sources[0].id == "tongliao"
    assert load(path).sources[0].id == "tongliao"
    assert len(cached) == 2
    cache.written()
    assert not list(tmp_path.glob("*.partial"))
    assert not list(tmp_path.glob(".govmon-config-*"))


def test_a_postgresql_password_is_read_at_each_load_never_kept(tmp_path, cached, monkeypatch):
    text = VALID.replace(
        'database = "govmon.db"',
        'database = "postgresql://govmon@db.example.gov.cn/govmon"\ndatabase_password_env = "PG_X"',
    )
    path = write(tmp_path, text)
    monkeypatch.setenv("PG_X", "pg-s3cret")
    first = load(path)
    assert first.database_password == "pg-s3cret"
    assert b"pg-s3cret" not in caches(tmp_path)[0].read_bytes()
    monkeypatch.setenv("PG_X", "rotated")
    assert load(path).database_password == "rotated"
    assert len(cached) == 1
    monkeypatch.delenv("PG_X")
    line = next(n for n, x in enumerate(text.split("\n"), 1) if x.startswith("database_password_env"))
    with pytest.raises(ConfigError) as exc:
        load(path, secrets=False)  # the database's password is needed by every command
    assert str(exc.value).startswith(f"{path}:{line}: [monitor] key 'database_password_env'")


def test_a_cache_that_cannot_be_made_is_not_written_and_says_nothing(tmp_path, cached, monkeypatch, capfd):
    """The cache is written in a thread. When govmon's own modules cannot be read for its key (mid-upgrade, say),
    the settings are as ever and no traceback of that thread reaches stderr: the cache is only ever a saving."""
    import threading  # noqa: PLC0415

    def unreadable() -> bytes:
        raise OSError("a module of govmon is unreadable")

    monkeypatch.setattr(cache, "code", unreadable)
    uncaught: list[object] = []
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    path = write(tmp_path, VALID)
    assert load(path).sources[0].id == "tongliao"
    assert caches(tmp_path) == []
    assert uncaught == []
    assert capfd.readouterr().err == ""
