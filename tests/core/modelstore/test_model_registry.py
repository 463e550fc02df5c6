# SPDX-License-Identifier: GPL-3.0-or-later
"""The registry of known models, file selection (safetensors first), folder checks and name
resolution. No network, no model loading."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from altlens.core.captioning.loading import resolve_model
from altlens.core.captioning.modelfiles import check_folder, select_files
from altlens.core.captioning.registry import (
    BUILTIN_MODELS,
    COMMIT_SHA,
    DEFAULT_MODEL,
    SUPPORTED_FAMILIES,
    ModelEntry,
    Registry,
)
from altlens.core.captioning.store import ModelStore
from altlens.core.errors import ModelNotFoundError, ModelUnsupportedError, UsageError


def test_supported_families_are_the_adapters() -> None:
    from altlens.core.captioning.adapters import ADAPTERS

    assert set(SUPPORTED_FAMILIES) == set(ADAPTERS)


def test_builtin_models_are_pinned_and_runnable() -> None:
    names = [e.name for e in BUILTIN_MODELS]
    assert len(set(names)) == len(names)
    assert {e.repo_id for e in BUILTIN_MODELS} >= {
        "nlpconnect/vit-gpt2-image-captioning",
        "Salesforce/blip-image-captioning-base",
        "Salesforce/blip-image-captioning-large",
        "microsoft/git-base-coco",
    }
    assert DEFAULT_MODEL in {e.repo_id for e in BUILTIN_MODELS}
    for e in BUILTIN_MODELS:
        assert e.revision and COMMIT_SHA.match(e.revision), e
        assert e.family in SUPPORTED_FAMILIES and e.license != "unknown" and e.download_bytes


def test_user_entries_are_added_found_and_removed(tmp_path: Path) -> None:
    reg = Registry(user_file=tmp_path / "models.json")
    sha = "a" * 40
    reg.add_user(ModelEntry("mine", "someone/captioner", sha, "blip"))
    again = Registry(user_file=tmp_path / "models.json")  # another process sees it
    assert again.find("mine") == again.find("someone/captioner")
    assert again.find("mine").revision == sha and not again.find("mine").builtin
    assert again.find("blip-base").builtin
    # Re-adding the same repo replaces the entry (a newer pinned commit).
    reg.add_user(ModelEntry("mine", "someone/captioner", "b" * 40, "blip"))
    assert [e.revision for e in reg.entries() if e.name == "mine"] == ["b" * 40]
    with pytest.raises(UsageError, match="built-in"):
        reg.add_user(ModelEntry("blip-base", "someone/else", sha, "blip"))
    with pytest.raises(UsageError, match="cannot be a model name"):
        reg.add_user(ModelEntry("../evil", "someone/else", sha, "blip"))
    assert reg.remove_user("mine") and reg.find("mine") is None
    assert not reg.remove_user("mine")


def test_unreadable_user_list_is_ignored_and_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text("{not json")
    reg = Registry(user_file=path)
    assert [e.name for e in reg.entries()] == [e.name for e in BUILTIN_MODELS]
    reg.add_user(ModelEntry("mine", "someone/captioner", "a" * 40, "git"))
    assert reg.find("mine") is not None
    aside = list(tmp_path.glob("models.json.unreadable-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{not json"


# -- which files a download fetches --------------------------------------------------------

SUPPORT = [
    "config.json",
    "generation_config.json",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "merges.txt",
    "special_tokens_map.json",
]


def test_safetensors_are_preferred_and_pickles_never_selected() -> None:
    names = [
        *SUPPORT,
        "model.safetensors",
        "pytorch_model.bin",
        "tf_model.h5",
        "flax_model.msgpack",
        "training_args.bin",
        "onnx/model.onnx",
        "onnx/config.json",
        ".gitattributes",
        "README.md",
    ]
    sel = select_files(names)
    assert sel.weights_format == "safetensors" and sel.weight_files == ("model.safetensors",)
    assert not any(n.endswith((".bin", ".h5", ".msgpack", ".onnx")) for n in sel.files)
    assert (
        "onnx/config.json" not in sel.files
        and "config.json" in sel.files
        and "README.md" in sel.files
    )
    assert {"pytorch_model.bin", "tf_model.h5", "training_args.bin", "onnx/model.onnx"} <= set(
        sel.skipped
    )


def test_sharded_safetensors_take_every_shard() -> None:
    shards = [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    sel = select_files(
        [*SUPPORT, "model.safetensors.index.json", *shards, "pytorch_model-00001-of-00002.bin"]
    )
    assert sel.weight_files == ("model.safetensors.index.json", *shards)
    index = {"weight_map": {"a": shards[0], "b": shards[2]}}
    assert select_files(
        [*SUPPORT, "model.safetensors.index.json", *shards], index=index
    ).weight_files == ("model.safetensors.index.json", shards[0], shards[2])


def test_pytorch_bin_only_when_there_is_no_safetensors() -> None:
    sel = select_files([*SUPPORT, "pytorch_model.bin", "tf_model.h5"])
    assert sel.weights_format == "pytorch" and sel.weight_files == ("pytorch_model.bin",)
    with pytest.raises(ModelUnsupportedError, match=r"tf_model\.h5"):
        select_files([*SUPPORT, "tf_model.h5", "flax_model.msgpack"])


# -- checking a model folder -------------------------------------------------------------


def test_a_complete_folder_passes(tiny_model: Path) -> None:
    check = check_folder(tiny_model)
    assert check.ok, check.explain()
    assert check.family == "vision-encoder-decoder" and check.weights_format == "safetensors"
    assert "model.safetensors" in check.files and "config.json" in check.files


def _break(folder: Path, how: str) -> None:
    if how.startswith("rm:"):
        for name in how[3:].split("+"):
            (folder / name).unlink()
    elif how == "truncate-weights":
        p = folder / "model.safetensors"
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    elif how == "bad-config":
        (folder / "config.json").write_text('{"model_type": "vision-encoder-decoder", ')
    elif how == "unsupported":
        cfg = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**cfg, "model_type": "bert"}))
    elif how == "vocab-without-merges":
        # GPT-2's layout: tokenizer.json, and vocab.json + merges.txt as well.
        (folder / "tokenizer.json").unlink()
        (folder / "merges.txt").unlink()
    elif how == "missing-shard":
        (folder / "model.safetensors").rename(folder / "model-00001-of-00002.safetensors")
        (folder / "model.safetensors.index.json").write_text(
            json.dumps(
                {
                    "weight_map": {
                        "a": "model-00001-of-00002.safetensors",
                        "b": "model-00002-of-00002.safetensors",
                    }
                }
            )
        )
    else:  # pragma: no cover
        raise AssertionError(how)


@pytest.mark.parametrize(
    ("how", "part", "fragment"),
    [
        ("rm:config.json", "config", "config.json is missing"),
        ("bad-config", "config", "config.json is not valid JSON"),
        ("unsupported", "config", "'bert' model"),
        ("rm:model.safetensors", "weights", "no PyTorch weights"),
        ("truncate-weights", "weights", "model.safetensors is truncated"),
        ("missing-shard", "weights", "model-00002-of-00002.safetensors is missing"),
        (
            "rm:preprocessor_config.json",
            "image preprocessor",
            "preprocessor_config.json is missing",
        ),
        ("rm:tokenizer_config.json", "tokenizer", "tokenizer_config.json is missing"),
        ("rm:tokenizer.json+vocab.json+merges.txt", "tokenizer", "tokenizer's vocabulary is missing"),
        ("vocab-without-merges", "tokenizer", "merges.txt is missing"),
    ],
)
def test_each_missing_or_damaged_part_is_named(
    tiny_model: Path, tmp_path: Path, how: str, part: str, fragment: str
) -> None:
    folder = shutil.copytree(tiny_model, tmp_path / "m")
    _break(folder, how)
    check = check_folder(folder)
    assert not check.ok
    assert any(p.part == part and fragment in p.message for p in check.problems), check.explain()


# -- names resolve everywhere ----------------------------------------------------------------


def _install_snapshot(cache: Path, repo_id: str, revision: str, model: Path) -> Path:
    """The hub cache layout, as huggingface_hub writes it (blobs linked from the snapshot)."""
    root = cache / ("models--" + repo_id.replace("/", "--"))
    snap = root / "snapshots" / revision
    snap.mkdir(parents=True)
    (root / "blobs").mkdir(exist_ok=True)
    for f in model.iterdir():
        blob = root / "blobs" / f"blob-{f.name}"
        shutil.copy(f, blob)
        os.symlink(os.path.relpath(blob, snap), snap / f.name)
    return snap


def test_names_and_repo_ids_resolve_offline(hub_cache: Path, tiny_model: Path) -> None:
    entry = next(e for e in BUILTIN_MODELS if e.name == "blip-base")
    with pytest.raises(ModelNotFoundError, match="altlens models download blip-base"):
        resolve_model("blip-base")
    other = _install_snapshot(hub_cache, entry.repo_id, "c" * 40, tiny_model)
    # A model someone already had at another commit is still found...
    assert resolve_model("blip-base") == other
    # ...but the pinned commit wins when it is there.
    pinned = _install_snapshot(hub_cache, entry.repo_id, entry.revision, tiny_model)
    assert resolve_model("blip-base") == pinned
    assert resolve_model(entry.repo_id) == pinned
    records = {r.name: r for r in ModelStore().list()}
    assert records["blip-base"].path == pinned and records["blip-base"].source == "hub-cache"
    assert records["vit-gpt2"].default and not records["vit-gpt2"].downloaded


def test_unknown_names_are_explained() -> None:
    with pytest.raises(ModelNotFoundError, match="neither a model folder"):
        resolve_model("no-such-model")
    with pytest.raises(ModelNotFoundError, match="not on this computer"):
        resolve_model("someone/not-downloaded")
    with pytest.raises(ModelNotFoundError, match="knows no model"):
        ModelStore().get("nothing-like-this")


def test_pytorch_checkpoints_old_and_new_pass_and_truncated_ones_fail(
    tiny_model: Path, tmp_path: Path
) -> None:
    import torch
    from safetensors.torch import load_file

    folder = shutil.copytree(tiny_model, tmp_path / "bin")
    state = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    weights = folder / "pytorch_model.bin"
    torch.save(state, weights, _use_new_zipfile_serialization=False)  # torch < 1.6 format
    assert check_folder(folder).ok, check_folder(folder).explain()
    torch.save(state, weights)
    assert check_folder(folder).ok
    weights.write_bytes(weights.read_bytes()[:-5000])
    assert "pytorch_model.bin is damaged or truncated" in check_folder(folder).explain()
