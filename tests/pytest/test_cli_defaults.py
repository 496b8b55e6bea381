"""Safe defaults of the command line (issue 21): a wrong or empty home says so instead of building an empty
warehouse and publishing empty tables."""

from __future__ import annotations

import pytest

from workforce_warehouse.cli import main


def test_a_typod_home_is_a_configuration_error_with_the_hint(tmp_path, capsys):
    home = tmp_path / "typo"
    assert main(["refresh", "--home", str(home), "--only-new"]) == 3
    out = capsys.readouterr().out
    assert "has no landing folder (is --home right?)" in out
    assert f"workforce-warehouse sample --out {home / 'landing'}" in out
    assert not home.exists()  # nothing was created
    assert main(["status", "--home", str(home)]) == 3
    assert "there is no home folder" in capsys.readouterr().out


def test_an_empty_landing_folder_is_refused_unless_allowed(tmp_path, capsys, monkeypatch):
    (tmp_path / "landing").mkdir()
    assert main(["refresh", "--home", str(tmp_path)]) == 3
    assert "is empty and there is no warehouse yet" in capsys.readouterr().out
    # --allow-empty gets past the check (the run itself is stubbed: only the gate is under test)
    import workforce_warehouse.cli as cli

    monkeypatch.setattr(cli, "_run_refresh", lambda settings, started: 0)
    assert main(["refresh", "--home", str(tmp_path), "--allow-empty"]) == 0


@pytest.mark.parametrize("flag", ["--verbose"])
def test_refresh_accepts_verbose(tmp_path, monkeypatch, flag):
    import os

    import workforce_warehouse.cli as cli

    (tmp_path / "landing" / "council_hr").mkdir(parents=True)
    (tmp_path / "landing" / "council_hr" / "hr_E09000002_2024-03-31_staff.csv").write_text("x\n")
    monkeypatch.setattr(cli, "_run_refresh", lambda settings, started: 0)
    monkeypatch.delenv("WORKFORCE_VERBOSE", raising=False)
    assert main(["refresh", "--home", str(tmp_path), flag]) == 0
    assert os.environ.pop("WORKFORCE_VERBOSE") == "1"
