"""Every setting is documented with its default, so an operator never has to read code."""

from __future__ import annotations

from pathlib import Path

from bot import settings
from tests.conftest import REPO


def test_every_setting_is_in_env_example_and_readme() -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")

    for setting in settings.SETTINGS:
        assert f"# {setting.name}=" in example or f"\n{setting.name}=" in example, setting.name
        assert f"`{setting.name}`" in readme, setting.name
        assert setting.help.endswith("."), setting.name


def test_environment_overrides_the_default(tmp_path: Path) -> None:
    env = {"OHJAAMO_CONTENT": str(tmp_path)}

    assert settings.content_root(env) == tmp_path
    assert settings.content_root({}) == REPO / "content"


def test_a_missing_topics_file_is_skipped_not_an_error(tmp_path: Path) -> None:
    assert settings.topics_spec({"OHJAAMO_TOPICS_SPEC": str(tmp_path / "nope.yaml")}) is None
