"""The session file: what comes back at the next launch, and files that cannot be used."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from nnstudio.core.design import design_to_dict
from nnstudio.state import AppState, take
from nnstudio.state.session_file import (
    MAX_SESSION_BYTES,
    SessionFileError,
    read_session,
    session_path,
    write_session,
)


def moment(tiny_design, **changes):
    state = AppState(design=tiny_design(units=5))
    state.settings = replace(state.settings, lr=0.02, batch_size=32, epochs=9)
    for name, value in changes.items():
        setattr(state, name, value)
    return take(state)


def test_design_data_settings_and_view_come_back(tiny_design, tmp_path):
    m = moment(tiny_design, data_source="synthetic:1000", image_size=16, page="trainPage",
               inside_view="weightsView", design_mode="neurons", zoom=1.25,
               path=tmp_path / "mine.npz", dirty=True)
    write_session(m, tmp_path / "session.json")
    back = read_session(tmp_path / "session.json")
    assert design_to_dict(back.design) == design_to_dict(m.design)
    assert back.settings == m.settings
    assert (back.data_source, back.image_size, back.page, back.inside_view, back.design_mode,
            back.zoom, back.path, back.dirty) == (
        "synthetic:1000", 16, "trainPage", "weightsView", "neurons", 1.25,
        tmp_path / "mine.npz", True)


def test_it_lives_in_the_data_folder(tiny_design, tmp_path, monkeypatch):
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path / "data"))
    assert session_path() == tmp_path / "data" / "session.json"
    write_session(moment(tiny_design))
    assert read_session().settings.lr == 0.02


def test_no_file_is_a_first_launch(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_session(tmp_path / "none.json")


def good(tiny_design) -> dict:
    return {"format": "nnstudio-session", "version": 1,
            "design": design_to_dict(tiny_design()), "settings": {"lr": 0.01}}


@pytest.mark.parametrize("damage, words", [
    (lambda d: b"\x00\xff not json", "not JSON"),
    (lambda d: json.dumps([1, 2]).encode(), "not an nnstudio session"),
    (lambda d: json.dumps({**d, "version": 99}).encode(), "version 99"),
    (lambda d: json.dumps({**d, "design": {"nodes": "x"}}).encode(), "design cannot be read"),
    (lambda d: json.dumps({**d, "settings": {"lr": "0.1; import os"}}).encode(),
     "'lr' is not a float"),
    (lambda d: json.dumps({**d, "settings": {"lr": -1}}).encode(), "out of range"),
    (lambda d: json.dumps({**d, "settings": {"epochs": True}}).encode(), "'epochs'"),
    (lambda d: json.dumps({**d, "settings": [1]}).encode(), "training settings"),
    (lambda d: json.dumps({**d, "image_size": 17}).encode(), "image_size"),
    (lambda d: json.dumps({**d, "zoom": 1e308 * 10}).encode(), "zoom"),
    (lambda d: json.dumps({**d, "page": "x" * 10_000}).encode(), "'page'"),
    (lambda d: json.dumps({**d, "data_source": 5}).encode(), "'data_source'"),
    (lambda d: b"[" * 100_000 + b"]" * 100_000, "not JSON"),
])
def test_a_file_that_cannot_be_used_says_why(tiny_design, tmp_path, damage, words):
    path = tmp_path / "session.json"
    path.write_bytes(damage(good(tiny_design)))
    with pytest.raises(SessionFileError, match=words):
        read_session(path)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "session.json"
    with open(path, "wb") as fh:
        fh.truncate(MAX_SESSION_BYTES + 1)
    with pytest.raises(SessionFileError):
        read_session(path)


def test_a_folder_in_its_place_is_refused(tmp_path):
    (tmp_path / "session.json").mkdir()
    with pytest.raises(SessionFileError):
        read_session(Path(tmp_path / "session.json"))
