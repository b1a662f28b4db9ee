"""The dev set's accuracy floor, exactly as CI states it: >= 90 % in every language."""

from __future__ import annotations

import pytest

from tests.conftest import DEV_SET
from tests.test_cli import ohjaamo


@pytest.mark.skipif(not DEV_SET.exists(), reason="shared/eval/dev.jsonl is not beside the repo")
def test_dev_set_accuracy_is_at_least_90_percent_in_every_language() -> None:
    result = ohjaamo("eval", str(DEV_SET), "--min-accuracy", "0.9")

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "crisis" in result.stdout
