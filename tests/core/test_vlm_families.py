# SPDX-License-Identifier: GPL-3.0-or-later
"""Florence-2 and SmolVLM2 beyond alt text: AltLens's tokens equal the family's own generate()
tokens (the model card's code, tests/tinymodels) for the long-description and text tasks;
empty and runaway answers are per-image errors; context rules (off by default, people only on
request); the `describe` command end to end on the sample photos. Alt text (greedy and beam,
batch 1 and 8), `auto` and the faster numeric modes are the generic conformance suite's
(tests/core/test_conformance.py), as for every family."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.tinymodels import build, florence2, smolvlm2

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "data" / "samples").glob("*.jpg"))
BUDGET = 24  # new tokens: small, so some answers run out (runaway) and tests stay fast


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vlm")
    # Seeds and output rows picked so each family's answers include text, empty answers and
    # runaways for the budget below (test_the_tiny_models_exercise_every_outcome checks that
    # stays true); Florence-2 with its raw random head (no word favouring, an eager end token),
    # unlike the conformance suite's model, so empty answers occur.
    options = {"florence2": dict(seed=3, sharpness=1.0, rest=1.0, eos_scale=6.0), "smolvlm": dict(seed=0)}
    return {name: build(name, root / name, **kw) for name, kw in options.items()}


def _generate_rows(family: str, folder: Path, images: list[Any], kwargs: dict[str, Any]) -> list[list[int]]:
    """The family's own generate() rows, whole (start token, end token, padding)."""
    module = florence2 if family == "florence2" else smolvlm2
    return module.generate_rows(folder, images, kwargs)


@pytest.fixture(scope="module")
def images() -> list[Any]:
    """Eight photos of different shapes: SmolVLM2 tiles each differently, so a batch of
    eight has prompts of different lengths (left padding)."""
    from PIL import Image

    base = [Image.open(p).convert("RGB") for p in SAMPLES]
    return [*base, base[0].rotate(90, expand=True), base[1].crop((0, 0, 300, 120))][:8]


@pytest.fixture(scope="module")
def captioners(models: dict[str, Path]) -> dict[str, Any]:
    from altlens.core.captioning import Captioner

    return {name: Captioner(folder, device="cpu", dtype="float32") for name, folder in models.items()}


def _settings(strategy: str) -> Any:
    from altlens.core.captioning import GenerationSettings

    return GenerationSettings(strategy="greedy", num_beams=1) if strategy == "greedy" else GenerationSettings(num_beams=3)


def _reference_kwargs(family: str, task: str, strategy: str, contexts: list[str | None] | None = None) -> dict[str, Any]:
    from altlens.core.captioning.tasks import FLORENCE_TOKENS, instruction

    kw: dict[str, Any] = {"max_new_tokens": BUDGET, "do_sample": False, "num_beams": 1 if strategy == "greedy" else 3}
    if family == "florence2":
        kw["task"] = FLORENCE_TOKENS[task]
    else:
        kw["instruction"] = [instruction(task, c) for c in contexts] if contexts else instruction(task)
    return kw


# Alt text is test_conformance.py's, for every family; these are the other tasks' prompts.
CASES = [
    (family, task, strategy, batch)
    for family in ("florence2", "smolvlm")
    for task, strategy, batch in [("long", "greedy", 8), ("long", "beam", 8), ("ocr", "greedy", 8), ("ocr", "beam", 1)]
]


@pytest.mark.parametrize(("family", "task", "strategy", "batch"), CASES)
def test_tokens_equal_the_familys_own_generate(
    family: str, task: str, strategy: str, batch: int, models: dict[str, Path], images: list[Any],
    captioners: dict[str, Any],
) -> None:
    adapter = captioners[family].adapter
    settings = _settings(strategy)
    subset = images[:batch]
    _out, tokens, budget = adapter.generate_tokens(subset, settings, task=task, max_new_tokens=BUDGET)
    assert budget == BUDGET
    want = _generate_rows(family, models[family], subset, _reference_kwargs(family, task, strategy))
    assert tokens.tolist() == want


@pytest.mark.parametrize("family", ["florence2", "smolvlm"])
def test_engine_texts_and_errors_follow_the_reference_tokens(
    family: str, models: dict[str, Path], images: list[Any], captioners: dict[str, Any]
) -> None:
    """Through the whole engine (decode threads, batching, clean-up): each image's text is its
    reference tokens decoded, or an error where those tokens are empty or never end."""
    from altlens.core.captioning.tasks import clean_answer

    cap = captioners[family]
    adapter = cap.adapter
    for task in ("alt", "long"):
        want = _generate_rows(family, models[family], images, _reference_kwargs(family, task, "greedy"))
        results = cap.describe(images, task, settings=_settings("greedy"), max_new_tokens=BUDGET)
        eos = adapter._eos_ids()
        for row, r in zip(want, results, strict=True):
            answer = row[1:] if family == "florence2" else row
            ends = [n for n, t in enumerate(answer) if t in eos]
            text = clean_answer(adapter.tokenizer.decode(answer, skip_special_tokens=True), task)
            if not ends or ends[0] >= BUDGET - 1:
                assert r.error is not None and r.error.code == "runaway-answer", (row, r)
                assert f"within {BUDGET} tokens" in r.error.message
            elif not text:
                assert r.error is not None and r.error.code == "empty-answer", (row, r)
                # An in-memory image is named by its position, not by a PIL repr.
                assert r.error.message.startswith(f"Image {r.index + 1} of the input: "), r.error.message
            else:
                assert r.error is None and r.caption == text


def test_the_tiny_models_exercise_every_outcome(captioners: dict[str, Any], images: list[Any]) -> None:
    """The checks above only mean something if answers, empty answers and runaways all occur,
    in each family, and answers differ between images."""
    for cap in captioners.values():
        codes = set()
        texts = set()
        for task in ("alt", "long", "ocr"):
            for r in cap.describe(images, task, settings=_settings("greedy"), max_new_tokens=BUDGET):
                codes.add(r.error.code if r.error else "ok")
                texts.add(r.caption)
        assert codes >= {"ok", "empty-answer", "runaway-answer"}
        assert len(texts - {None}) >= 4


def test_a_bad_file_is_its_own_error_and_the_batch_goes_on(captioners: dict[str, Any], tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(SAMPLES[0].read_bytes()[:300])
    paths = [SAMPLES[0], broken, tmp_path / "missing.jpg", SAMPLES[1]]
    for cap in captioners.values():
        results = cap.describe(paths, "long", settings=_settings("greedy"), max_new_tokens=BUDGET)
        assert [r.index for r in results] == [0, 1, 2, 3]
        assert results[1].error is not None and results[1].error.code in ("corrupt-image", "truncated-image", "not-an-image")
        assert results[2].error is not None and results[2].error.code == "file-missing"
        assert results[0].path == SAMPLES[0] and results[3].path == SAMPLES[1]


def test_task_and_context_rules(captioners: dict[str, Any], tmp_path: Path) -> None:
    from altlens.core.captioning import Captioner
    from altlens.core.errors import UsageError

    florence, smol = captioners["florence2"], captioners["smolvlm"]
    with pytest.raises(UsageError, match="takes no context"):
        florence.describe([SAMPLES[0]], "alt", contexts=["Keywords: tram"])
    with pytest.raises(UsageError, match="Unknown task"):
        smol.describe([SAMPLES[0]], "poem")
    with pytest.raises(UsageError, match="one per image"):
        smol.describe(SAMPLES[:2], "alt", contexts=["x"])
    with pytest.raises(UsageError, match="between 8 and"):
        smol.describe([SAMPLES[0]], "alt", max_new_tokens=3)
    toy = Captioner(Path(__file__).resolve().parents[1] / "models" / "toy-captioner", device="cpu", dtype="float32")
    with pytest.raises(UsageError, match="alt text only"):
        toy.describe([SAMPLES[0]], "long")
    assert toy.describe([SAMPLES[0]], "alt")[0].ok  # the old families still answer the default task


def test_context_reaches_the_smolvlm_prompt(models: dict[str, Path], images: list[Any], captioners: dict[str, Any]) -> None:
    """With context, the tokens are the reference's for the instruction plus that context."""
    adapter = captioners["smolvlm"].adapter
    contexts = ["Folder name: Lisbon trip\nKeywords: tram, street", None]
    _out, tokens, _ = adapter.generate_tokens(images[:2], _settings("greedy"), task="alt", contexts=contexts,
                                              max_new_tokens=BUDGET)
    want = _generate_rows("smolvlm", models["smolvlm"], images[:2],
                          _reference_kwargs("smolvlm", "alt", "greedy", contexts))
    assert tokens.tolist() == want
    inputs = adapter.prompt_inputs(images[:1], "alt", contexts[:1])
    prompt = adapter.tokenizer.decode(inputs["input_ids"][0], skip_special_tokens=True)
    assert "Lisbon trip" in prompt and "tram, street" in prompt


def _tagged_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "Lisbon trip"
    folder.mkdir()
    photo = folder / "tram.jpg"
    shutil.copy(SAMPLES[0], photo)
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-XMP-dc:Subject=tram", "-XMP-dc:Subject=street",
         "-IPTC:Keywords=Tram", "-XMP-photoshop:Headline=Tram 28", "-XMP-photoshop:City=Lisbon",
         "-XMP-photoshop:Country=Portugal", "-XMP-iptcExt:PersonInImage=Ada Lovelace", str(photo)],
        check=True,
    )
    return photo


needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool is not installed")


@needs_exiftool
def test_context_reads_folder_and_metadata_and_names_people_only_when_asked(tmp_path: Path) -> None:
    from altlens.core.captioning.context import read_contexts

    photo = _tagged_copy(tmp_path)
    (plain,) = read_contexts([photo])
    assert plain.folder == "Lisbon trip" and plain.keywords == ("tram", "street")  # "Tram" (IIM) only once
    assert plain.headline == "Tram 28" and plain.location == "Lisbon, Portugal"
    assert plain.people == () and "Ada" not in (plain.prompt_text() or "")
    (named,) = read_contexts([photo], include_people=True)
    assert named.people == ("Ada Lovelace",) and "Ada Lovelace" in (named.prompt_text() or "")
    generic = tmp_path / "DCIM"
    generic.mkdir()
    shutil.copy(SAMPLES[1], generic / "x.jpg")
    (bare,) = read_contexts([generic / "x.jpg"])
    assert bare.empty and bare.prompt_text() is None  # "DCIM" says nothing about the photo


def _altlens(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "altlens.core", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@needs_exiftool
def test_describe_cli_end_to_end(models: dict[str, Path], tmp_path: Path) -> None:
    """Long descriptions as JSON lines for the sample folder, the context shown before use
    (people only with --context-people), and an approved long description written into
    XMP-iptcCore:ExtDescrAccessibility with `altlens write`."""
    photo = _tagged_copy(tmp_path)
    shown = _altlens("describe", "--show-context", "--json", str(photo))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["people"] == []
    shown = _altlens("describe", "--show-context", "--context-people", str(photo))
    assert "Ada Lovelace" in shown.stdout

    run = _altlens("describe", "-m", str(models["smolvlm"]), "--task", "long", "--context", "--beams", "1",
                   "--dtype", "float32", "--max-tokens", str(BUDGET), "--json", str(photo), str(SAMPLES[0].parent))
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(rows) == 1 + len(SAMPLES) and all(r["task"] == "long" for r in rows)
    assert "Context for" in run.stderr and "Keywords: tram, street" in run.stderr and "Ada" not in run.stderr
    assert rows[0]["context"].startswith("Folder name: Lisbon trip") and "Ada" not in rows[0]["context"]
    for r in rows:
        assert (r["text"] is None) == (r["error"] is not None)
        if r["error"]:
            assert r["error"]["code"] in ("empty-answer", "runaway-answer")

    florence = _altlens("describe", "-m", str(models["florence2"]), "--task", "ocr", "--context", str(photo))
    assert florence.returncode == 2 and "takes no context" in florence.stderr

    text = "A green tram climbs a narrow cobbled street in Lisbon; the sign on its front reads 28 Graca."
    # The writer takes a long description together with the alt text it belongs to.
    wrote = _altlens("write", str(photo), "--alt-text", "Green tram 28 on a cobbled Lisbon street",
                     "--long-description", text)
    assert wrote.returncode == 0, wrote.stderr
    read = subprocess.run(["exiftool", "-j", "-XMP-iptcCore:ExtDescrAccessibility", str(photo)],
                          capture_output=True, text=True, check=True)
    assert json.loads(read.stdout)[0]["ExtDescrAccessibility"] == text


def test_cli_task_choices_are_the_engines_and_onnx_is_refused(models: dict[str, Path]) -> None:
    from altlens.core.captioning import Captioner
    from altlens.core.captioning.tasks import TASKS
    from altlens.core.commands.describe import TASK_CHOICES
    from altlens.core.errors import UsageError

    assert TASK_CHOICES == TASKS  # the CLI keeps its own copy so --help never imports the engine
    with pytest.raises(UsageError, match="ONNX backend"):
        Captioner(models["florence2"], device="cpu", backend="onnx").load()


def test_family_tasks_without_torch_agree_with_the_adapters(captioners: dict[str, Any]) -> None:
    """The plain-data task table front ends read (no torch) says what the adapters do."""
    from altlens.core.captioning.adapters import ADAPTERS
    from altlens.core.captioning.tasks import CONTEXT_FAMILIES, tasks_for_family

    for family, cls in ADAPTERS.items():
        assert tasks_for_family(family) == getattr(cls, "tasks", ("alt",))
        assert (family in CONTEXT_FAMILIES) == getattr(cls, "accepts_context", False)
    assert captioners["smolvlm"].tasks == ("alt", "long", "ocr") and captioners["smolvlm"].accepts_context
    assert captioners["florence2"].tasks == ("alt", "long", "ocr") and not captioners["florence2"].accepts_context


@pytest.mark.parametrize("family", ["florence2", "smolvlm"])
def test_import_keeps_every_file_the_family_needs(family: str, models: dict[str, Path]) -> None:
    """`altlens models import` copies processor_config.json and the chat template too, verifies,
    and the imported copy describes by name."""
    from altlens.core.captioning import Captioner, ModelStore

    store = ModelStore()
    record = store.import_folder(models[family], name=f"tiny-{family}")
    assert record.family == family
    copied = {p.name for p in Path(record.path).iterdir()}
    assert {"processor_config.json", "preprocessor_config.json", "tokenizer_config.json"} <= copied
    assert family != "smolvlm" or "chat_template.json" in copied
    assert store.verify(f"tiny-{family}").ok
    results = Captioner(f"tiny-{family}", device="cpu", dtype="float32").describe(SAMPLES[:2], "long", max_new_tokens=BUDGET)
    assert all(r.ok or r.error.code in ("empty-answer", "runaway-answer") for r in results)
