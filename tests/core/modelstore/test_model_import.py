# SPDX-License-Identifier: GPL-3.0-or-later
"""Importing a model folder copied from another computer, verifying it against the hashes
recorded at import, removing it; and the weights policy (safetensors first, pickles only
through torch's weights-only loader)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from altlens.core.captioning import Captioner
from altlens.core.captioning.errors import ModelExistsError, ModelIncompleteError
from altlens.core.captioning.modelfiles import MANIFEST_NAME
from altlens.core.captioning.store import FileProgress, ModelStore
from altlens.core.errors import CancelledError, ModelInvalidError
from altlens.core.jobs import CancelToken
from altlens.core.paths import app_dirs
from PIL import Image

RED = Image.new("RGB", (40, 30), (220, 30, 30))


def test_import_verify_remove(tiny_model: Path, tmp_path: Path) -> None:
    source = shutil.copytree(tiny_model, tmp_path / "from-usb-stick")
    (source / "training_args.bin").write_bytes(b"not needed, never copied")
    seen: list[FileProgress] = []
    store = ModelStore()
    record = store.import_folder(source, name="usb-model", progress=seen.append)

    assert record.source == "imported" and record.path == app_dirs().models / "usb-model"
    assert not (record.path / "training_args.bin").exists()
    assert seen[-1].bytes_done == seen[-1].bytes_total > 0
    manifest = json.loads((record.path / MANIFEST_NAME).read_text())
    assert manifest["source"] == str(source) and {f["name"] for f in manifest["files"]} >= {
        "config.json",
        "model.safetensors",
    }
    assert [r.name for r in store.list() if r.source == "imported"] == ["usb-model"]
    shutil.rmtree(source)  # the stick is gone; the model stays usable
    assert Captioner("usb-model", device="cpu").caption([RED])[0].ok

    report = store.verify("usb-model")
    assert report.ok and report.hashes_from == "recorded at import"
    weights = record.path / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    (record.path / "stray.txt").write_text("added later")
    report = store.verify("usb-model")
    assert [(f.name, f.status) for f in report.problems] == [("model.safetensors", "mismatch")]
    assert ("stray.txt", "unexpected") in {(f.name, f.status) for f in report.files}

    store.remove("usb-model")
    assert not record.path.exists() and not list(app_dirs().models.iterdir())


@pytest.mark.parametrize(
    ("remove", "fragment"),
    [
        ("config.json", "config: config.json is missing"),
        ("model.safetensors", "weights: This model has no PyTorch weights"),
        ("preprocessor_config.json", "image preprocessor: preprocessor_config.json is missing"),
        ("tokenizer_config.json", "tokenizer: tokenizer_config.json is missing"),
        # GPT-2's repositories ship the vocabulary twice: tokenizer.json, and vocab.json + merges.txt.
        ("tokenizer.json vocab.json merges.txt", "tokenizer: the tokenizer's vocabulary is missing"),
        ("tokenizer.json merges.txt", "tokenizer: merges.txt is missing"),
    ],
)
def test_an_incomplete_folder_is_refused_with_what_is_missing(
    tiny_model: Path, tmp_path: Path, remove: str, fragment: str
) -> None:
    source = shutil.copytree(tiny_model, tmp_path / "copy")
    for name in remove.split():
        (source / name).unlink()
    with pytest.raises(ModelIncompleteError) as info:
        ModelStore().import_folder(source)
    assert fragment in str(info.value) and str(source) in str(info.value)
    models = app_dirs().models
    assert not models.exists() or not list(models.iterdir())


def test_a_hub_snapshot_imports_under_its_repo_id(tiny_model: Path, tmp_path: Path) -> None:
    """The usual offline route: copy ~/.cache/huggingface/hub/models--x--y/snapshots/<sha>
    from another computer. Its files are links into blobs/; the import copies their content."""
    root = tmp_path / "models--someone--captioner"
    snap = root / "snapshots" / ("d" * 40)
    snap.mkdir(parents=True)
    (root / "blobs").mkdir()
    for f in tiny_model.iterdir():
        shutil.copy(f, root / "blobs" / f.name)
        os.symlink(os.path.relpath(root / "blobs" / f.name, snap), snap / f.name)
    record = ModelStore().import_folder(snap)
    assert record.name == "someone/captioner" and record.revision == "d" * 40
    assert record.path == app_dirs().models / "someone--captioner"
    assert not any(p.is_symlink() for p in record.path.iterdir())
    assert Captioner("someone/captioner", device="cpu").load().folder == record.path
    with pytest.raises(ModelExistsError, match="already imported"):
        ModelStore().import_folder(snap)


def test_an_imported_copy_of_a_known_model_is_used_for_it(
    tiny_model: Path, tmp_path: Path, hub_cache: Path
) -> None:
    record = ModelStore().import_folder(
        shutil.copytree(tiny_model, tmp_path / "vit"), name="vit-gpt2"
    )
    listed = {r.name: r for r in ModelStore().list()}
    assert listed["vit-gpt2"].source == "imported" and listed["vit-gpt2"].default
    # The default model (no --model) is now this folder.
    assert Captioner(None, device="cpu").load().folder == record.path


def test_a_cancelled_import_leaves_nothing(tiny_model: Path, tmp_path: Path) -> None:
    token = CancelToken()

    def cancel_soon(p: FileProgress) -> None:
        if p.files_done >= 2:
            token.cancel()

    with pytest.raises(CancelledError):
        ModelStore().import_folder(tiny_model, name="half", progress=cancel_soon, cancel=token)
    assert not list(app_dirs().models.iterdir())


def test_a_copy_that_differs_from_its_import_record_is_refused(
    tiny_model: Path, tmp_path: Path
) -> None:
    first = ModelStore().import_folder(tiny_model, name="original")
    copied = shutil.copytree(
        first.path, tmp_path / "copied-on"
    )  # carries its .altlens-manifest.json
    tok = copied / "tokenizer_config.json"
    tok.write_text(tok.read_text().replace("}", ', "x": 1}', 1))
    with pytest.raises(ModelInvalidError, match=r"tokenizer_config\.json does not match"):
        ModelStore().import_folder(copied, name="copy")
    assert not (app_dirs().models / "copy").exists()


# -- weights policy ----------------------------------------------------------------------


class _Payload:
    """A pickle that would create a file when unpickled by an unrestricted loader."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _malicious_bin(path: Path, marker: Path) -> None:
    import torch

    torch.save({"weight": _Payload(marker)}, path)


def test_pickle_weights_are_never_unpickled_freely(tiny_model: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = shutil.copytree(tiny_model, tmp_path / "evil")
    (evil / "model.safetensors").unlink()
    _malicious_bin(evil / "pytorch_model.bin", marker)
    with pytest.raises(ModelInvalidError, match="refuses to unpickle"):
        Captioner(evil, device="cpu").load()
    assert not marker.exists()


def test_safetensors_win_over_a_pickle_next_to_them(tiny_model: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    both = shutil.copytree(tiny_model, tmp_path / "both")
    _malicious_bin(both / "pytorch_model.bin", marker)
    assert Captioner(both, device="cpu").caption([RED])[0].ok
    assert not marker.exists()


def test_plain_pytorch_weights_load_with_the_weights_only_unpickler(
    tiny_model: Path, tmp_path: Path
) -> None:
    """The default model's pinned revision has only pytorch_model.bin: it must still load."""
    import torch
    from safetensors.torch import load_file

    folder = shutil.copytree(tiny_model, tmp_path / "bin-only")
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    record = ModelStore().import_folder(folder, name="bin-only")
    assert ModelStore().check(folder).weights_format == "pytorch"
    assert Captioner("bin-only", device="cpu").caption([RED])[0].ok
    assert record.path is not None and (record.path / "pytorch_model.bin").exists()
