# SPDX-License-Identifier: GPL-3.0-or-later
"""The models AltLens knows by name, each pinned to one commit of its Hugging Face repository.

A pinned revision means every user downloads exactly the files we tested, and a repository
owner pushing new weights cannot change what AltLens runs. People can add any compatible repo
id (`altlens models download owner/name`); such entries are pinned to the commit they
downloaded and kept in `<config>/models.json`.

This module is plain data and stdlib: cheap to import, no torch, no network.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from altlens.core.errors import UsageError
from altlens.core.fsutil import atomic_write_text, replace

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nlpconnect/vit-gpt2-image-captioning"

# The model families core.captioning.adapters can run, by config.json `model_type`. Kept here
# as plain strings so listing and validating models never imports torch; a test checks that
# it equals adapters.ADAPTERS.
SUPPORTED_FAMILIES: tuple[str, ...] = ("blip", "florence2", "git", "smolvlm", "vision-encoder-decoder")

# What each family is good for, in a line a person choosing a model can act on (the model
# manager and the settings show it next to each model). Plain strings: no torch to list them.
FAMILY_PURPOSES: dict[str, str] = {
    "vision-encoder-decoder": "Fast, short, generic alt text; the default for captioning many photos",
    "blip": "More specific alt text (objects, colours, places)",
    "git": "Compact, fluent one-sentence alt text; the smallest download",
    "florence2": "Detailed descriptions and reading text in the image (OCR); alt text too",
    "smolvlm": "Alt text, detailed descriptions and text by instruction; can use the photo's context",
}

# The families that can describe in detail and read text (core/captioning/tasks.py has the
# tasks); the window's "Describe in detail" uses one of these, florence-2-base by default.
DEFAULT_DETAIL_MODEL = "florence-2-base"


def family_purpose(family: str) -> str:
    """What models of `family` are good for ('' for a family AltLens does not know)."""
    return FAMILY_PURPOSES.get(family, "")


REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
SHORT_NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$")
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")

USER_FILE_VERSION = 1


@dataclass(frozen=True)
class ModelEntry:
    """A model known by name. `revision` is a full commit sha (user entries get theirs when
    they are downloaded). `download_bytes` is approximate and only shown before a download;
    the download itself reads the exact sizes from the hub."""

    name: str
    repo_id: str
    revision: str | None
    family: str
    license: str = "unknown"
    download_bytes: int | None = None
    description: str = ""
    builtin: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Revisions are full commit shas of each repository's `main`, as read from the hub's model API
# (`sha`) and pinned by public projects that load these models (none could be read from the hub
# here: no internet): vit-gpt2, blip-base and git-base-coco as recorded in
# apoorvrajdev/image-captioning-system docs/EVAL_METHODOLOGY.md §8.1 (and seen as snapshot
# folders in many public repos); blip-large from public model audits linking
# huggingface.co/Salesforce/blip-image-captioning-large/tree/353689b8..., whose file list there
# includes model.safetensors (1,879,014,680 bytes). nlpconnect and blip-base have no safetensors
# at these commits, so their pytorch_model.bin is used (see modelfiles.py for the policy).
# Sizes: the weights AltLens downloads plus about 2 MB of config, processor and tokenizer files.
BUILTIN_MODELS: tuple[ModelEntry, ...] = (
    ModelEntry(
        name="vit-gpt2",
        repo_id="nlpconnect/vit-gpt2-image-captioning",
        revision="dc68f91c06a1ba6f15268e5b9c13ae7a7c514084",
        family="vision-encoder-decoder",
        license="apache-2.0",
        download_bytes=984_000_000,
        description="ViT-B/16 + GPT-2: fast, short captions (the default)",
        builtin=True,
    ),
    ModelEntry(
        name="blip-base",
        repo_id="Salesforce/blip-image-captioning-base",
        revision="82a37760796d32b1411fe092ab5d4e227313294b",
        family="blip",
        license="bsd-3-clause",
        download_bytes=992_000_000,
        description="BLIP base (ViT-B), trained on COCO: more specific captions",
        builtin=True,
    ),
    ModelEntry(
        name="blip-large",
        repo_id="Salesforce/blip-image-captioning-large",
        revision="353689b859fcf0523410b1806dace5fb46ecdf41",
        family="blip",
        license="bsd-3-clause",
        download_bytes=1_881_000_000,
        description="BLIP large (ViT-L): the most detailed captions, about 3x slower than base",
        builtin=True,
    ),
    ModelEntry(
        name="git-base-coco",
        repo_id="microsoft/git-base-coco",
        revision="a13141da42abd4a8cbf283601a8104265f537cee",
        family="git",
        license="mit",
        download_bytes=710_000_000,
        description="GIT base fine-tuned on COCO: compact, fluent captions",
        builtin=True,
    ),
    # Prompted families (core/captioning/vlm.py): alt text, long descriptions, text in the image.
    # Pins are the commits public code names as snapshot folders or pins of these repositories
    # (none could be read from the hub here): florence-community/Florence-2-base 00921df6...
    # and -large 4271c66b... as pinned in LibreYOLO's VLM snapshot tests (the base pin also in a
    # public VLM audit listing model.safetensors at 463,178,864 bytes, float16; the large pin in
    # several projects' provenance notes with model.safetensors at 1,553,541,016 bytes);
    # SmolVLM2-256M 067788b1... and -500M 7b375e1b... as snapshot folders in several public
    # repositories (the audit lists their float32 model.safetensors at 1,025,998,224 and
    # 2,029,990,624 bytes). Florence-2 is MIT (Microsoft), SmolVLM2 Apache-2.0.
    ModelEntry(
        name="florence-2-base",
        repo_id="florence-community/Florence-2-base",
        revision="00921df66db728a9ceb750f5eca43e5c203a2051",
        family="florence2",
        license="mit",
        download_bytes=466_000_000,
        description="Florence-2 base (0.23 B): alt text, long descriptions, text in the image (OCR)",
        builtin=True,
    ),
    ModelEntry(
        name="florence-2-large",
        repo_id="florence-community/Florence-2-large",
        revision="4271c66b88cdbc05735372ec13b2360108de5317",
        family="florence2",
        license="mit",
        download_bytes=1_556_000_000,
        description="Florence-2 large (0.77 B): more detailed descriptions and OCR, about 3x slower than base",
        builtin=True,
    ),
    ModelEntry(
        name="smolvlm2-256m",
        repo_id="HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
        revision="067788b187b95ebe7b2e040b3e4299e342e5b8fd",
        family="smolvlm",
        license="apache-2.0",
        download_bytes=1_030_000_000,
        description="SmolVLM2 256M Instruct: alt text by instruction, long descriptions, optional context",
        builtin=True,
    ),
    ModelEntry(
        name="smolvlm2-500m",
        repo_id="HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
        revision="7b375e1b73b11138ff12fe22c8f2822d8fe03467",
        family="smolvlm",
        license="apache-2.0",
        download_bytes=2_035_000_000,
        description="SmolVLM2 500M Instruct: better wording than 256M, about 2x slower",
        builtin=True,
    ),
)


def validate_name(name: str) -> str:
    """A name people type after --model: a short name or owner/name, nothing path-like."""
    if not (SHORT_NAME.match(name) or REPO_ID.match(name)) or ".." in name:
        raise UsageError(
            f"'{name}' cannot be a model name: use letters, digits, '.', '_' and '-', "
            "optionally as owner/name."
        )
    return name


class Registry:
    """Built-in entries plus the user's own (from `user_file`, when given).

    Look-ups accept a short name or a repo id. Reads the user file on every call, so the
    CLI, the GUI and a watcher process see each other's additions.
    """

    def __init__(
        self, builtin: Iterable[ModelEntry] = BUILTIN_MODELS, user_file: Path | None = None
    ) -> None:
        self._builtin = tuple(builtin)
        self.user_file = user_file

    @classmethod
    def default(cls) -> Registry:
        from altlens.core.paths import app_dirs

        return cls(BUILTIN_MODELS, app_dirs().config / "models.json")

    # -- reading ---------------------------------------------------------------------------

    def entries(self) -> list[ModelEntry]:
        return [*self._builtin, *self._user_entries()]

    def find(self, name_or_repo: str) -> ModelEntry | None:
        """The entry with this short name, or else the one for this repo id."""
        entries = self.entries()
        for e in entries:
            if e.name == name_or_repo:
                return e
        for e in entries:
            if e.repo_id == name_or_repo:
                return e
        return None

    def _user_entries(self) -> list[ModelEntry]:
        if self.user_file is None or not self.user_file.is_file():
            return []
        try:
            data = json.loads(self.user_file.read_text(encoding="utf-8"))
            rows = data["models"]
            entries = [ModelEntry(**{**row, "builtin": False}) for row in rows]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A damaged list must not stop captioning with the built-in models.
            log.warning("ignoring unreadable model list %s: %s", self.user_file, exc)
            return []
        builtin_names = {e.name for e in self._builtin}
        return [e for e in entries if e.name not in builtin_names]

    # -- writing ---------------------------------------------------------------------------

    def add_user(self, entry: ModelEntry) -> ModelEntry:
        """Add or replace (same name or same repo id) a user entry; atomic on disk."""
        if self.user_file is None:
            raise UsageError("This registry has no user model list to write to.")
        validate_name(entry.name)
        for b in self._builtin:
            if b.name == entry.name and b.repo_id != entry.repo_id:
                raise UsageError(
                    f"'{entry.name}' is the name of a built-in model; choose another with --name."
                )
        entry = ModelEntry(**{**entry.to_dict(), "builtin": False})
        kept = [
            e for e in self._user_entries() if e.name != entry.name and e.repo_id != entry.repo_id
        ]
        self._write([*kept, entry])
        return entry

    def remove_user(self, name_or_repo: str) -> bool:
        if self.user_file is None:
            return False
        entries = self._user_entries()
        kept = [e for e in entries if name_or_repo not in (e.name, e.repo_id)]
        if len(kept) == len(entries):
            return False
        self._write(kept)
        return True

    def _write(self, entries: list[ModelEntry]) -> None:
        assert self.user_file is not None
        path = self.user_file
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                # Keep what the person had; never overwrite a file we could not read.
                backup = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
                replace(path, backup)
                log.warning("moved unreadable model list aside to %s", backup)
        rows = [{k: v for k, v in e.to_dict().items() if k != "builtin"} for e in entries]
        payload = json.dumps(
            {"version": USER_FILE_VERSION, "models": rows}, indent=2, ensure_ascii=False
        )
        atomic_write_text(path, payload + "\n")
