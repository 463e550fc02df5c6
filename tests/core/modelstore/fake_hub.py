# SPDX-License-Identifier: GPL-3.0-or-later
"""A small stand-in for the Hugging Face Hub on 127.0.0.1, enough for huggingface_hub's
download path: the model API with file sizes and hashes, `resolve/<rev>/<file>` with the
hub's headers, LFS files redirected to a second "CDN" server, HTTP Range, and the hub's
error headers for missing and gated repositories. Faults can be injected (drop the
connection once part-way through a file) and every request is recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlparse

LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".onnx", ".model", ".pt")
LFS_MIN_SIZE = 10 * 1024 * 1024


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class HubFile:
    name: str
    data: bytes

    @property
    def lfs(self) -> bool:
        return self.name.endswith(LFS_SUFFIXES) or len(self.data) >= LFS_MIN_SIZE

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\nsize "
            f"{len(self.data)}\n"
        ).encode()

    @property
    def blob_id(self) -> str:
        """Git's id of what the repository stores: the LFS pointer, or the file itself."""
        return git_blob_sha1(self.pointer if self.lfs else self.data)

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.blob_id


@dataclass
class HubRepo:
    repo_id: str
    commits: dict[str, dict[str, HubFile]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    gated: str | bool = False
    gated_status: int = 401
    license: str = "mit"


@dataclass
class Request:
    server: str  # "hub" | "cdn"
    method: str
    path: str
    range: str | None


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.requests: list[Request] = []
        self.drop_once: dict[str, int] = {}  # file name -> bytes sent before the connection drops
        self.corrupt_once: set[str] = set()  # file names whose next body has one byte flipped
        self.throttle: dict[str, tuple[int, float]] = {}  # file name -> (bytes per write, pause)
        self.ignore_range = False
        self.missing_repo_status = 404
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self.url = ""
        self.cdn_url = ""

    # -- content ---------------------------------------------------------------------------

    def add_repo(
        self,
        repo_id: str,
        files: dict[str, bytes] | Path,
        *,
        gated: str | bool = False,
        gated_status: int = 401,
        extra: dict[str, bytes] | None = None,
    ) -> str:
        """Publish a repository with one commit on `main`; returns the commit sha."""
        if isinstance(files, Path):
            files = {p.name: p.read_bytes() for p in sorted(files.iterdir()) if p.is_file()}
        content = dict(files)
        content.setdefault(".gitattributes", b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n")
        content.setdefault("README.md", b"---\nlicense: mit\n---\n# test model\n")
        content.update(extra or {})
        sha = hashlib.sha1(
            repr(sorted((k, hashlib.sha256(v).hexdigest()) for k, v in content.items())).encode()
            + repo_id.encode()
        ).hexdigest()
        repo = self.repos.setdefault(repo_id, HubRepo(repo_id))
        repo.commits[sha] = {n: HubFile(n, d) for n, d in content.items()}
        repo.refs["main"] = sha
        repo.gated = gated
        repo.gated_status = gated_status
        return sha

    def file(self, repo_id: str, name: str, revision: str = "main") -> HubFile:
        repo = self.repos[repo_id]
        return repo.commits[repo.refs.get(revision, revision)][name]

    def gets(self, name: str) -> list[Request]:
        """GET requests that fetched the content of a file called `name`."""
        out = []
        for r in self.requests:
            if r.method != "GET":
                continue
            if (r.server == "hub" and r.path.rsplit("/", 1)[-1] == name) or (
                r.server == "cdn" and r.path.split("/")[-1].split("?")[0] in self._cdn_names(name)
            ):
                out.append(r)
        return out

    def _cdn_names(self, name: str) -> set[str]:
        return {
            f.sha256
            for repo in self.repos.values()
            for files in repo.commits.values()
            for f in files.values()
            if f.name == name
        }

    def find_blob(self, sha256: str) -> HubFile | None:
        for repo in self.repos.values():
            for files in repo.commits.values():
                for f in files.values():
                    if f.lfs and f.sha256 == sha256:
                        return f
        return None

    # -- serving ---------------------------------------------------------------------------

    # The CDN on another loopback address, as the real one is another host: huggingface_hub
    # follows a redirect to the same host name (whatever the port) but stops at another
    # host's, reading the file's metadata from the hub's own 302.
    HOSTS: ClassVar[dict[str, str]] = {"hub": "127.0.0.1", "cdn": "127.0.0.2"}

    def start(self) -> FakeHub:
        self._servers = [self._serve("hub"), self._serve("cdn")]
        self.url = f"http://{self.HOSTS['hub']}:{self._servers[0].server_address[1]}"
        self.cdn_url = f"http://{self.HOSTS['cdn']}:{self._servers[1].server_address[1]}"
        return self

    def stop(self) -> None:
        for s in self._servers:
            s.shutdown()
            s.server_close()
        self._servers = []

    def _serve(self, role: str) -> ThreadingHTTPServer:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        Handler.role = role
        server = ThreadingHTTPServer((self.HOSTS[role], 0), Handler)
        server.daemon_threads = True
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{role}",
            daemon=True,
        ).start()
        return server

    def record(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)

    def take_drop(self, name: str) -> int | None:
        with self._lock:
            return self.drop_once.pop(name, None)

    def take_corrupt(self, name: str) -> bool:
        with self._lock:
            if name in self.corrupt_once:
                self.corrupt_once.discard(name)
                return True
            return False


RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+?)(?:/revision/(?P<rev>[^/]+))?$")
TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<sub>.*))?$")


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    role: str
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def _dispatch(self, head: bool) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        self.hub.record(Request(self.role, self.command, path, self.headers.get("Range")))
        if self.role == "cdn":
            f = self.hub.find_blob(path.rsplit("/", 1)[-1])
            if f is None:
                return self._send(404, b"not found")
            return self._content(f, head, {"ETag": f'"{f.sha256}"'})
        if m := TREE.match(path):
            return self._tree(m["repo"], unquote(m["rev"]), m["sub"] or "")
        if m := API.match(path):
            return self._api(m["repo"], m["rev"] or "main", "blobs" in parse_qs(url.query))
        if m := RESOLVE.match(path):
            return self._resolve(m["repo"], unquote(m["rev"]), m["file"], head)
        self._send(404, b"not found")

    # -- hub endpoints ---------------------------------------------------------------------

    def _repo(self, repo_id: str, rev: str) -> tuple[HubRepo, str] | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(self.hub.missing_repo_status, "RepoNotFound", "Repository not found")
            return None
        sha = repo.refs.get(rev, rev)
        if sha not in repo.commits:
            self._error(404, "RevisionNotFound", "Invalid rev id: " + rev)
            return None
        return repo, sha

    def _api(self, repo_id: str, rev: str, blobs: bool) -> None:
        found = self._repo(repo_id, rev)
        if found is None:
            return
        repo, sha = found
        siblings = []
        for f in repo.commits[sha].values():
            s: dict[str, object] = {"rfilename": f.name}
            if blobs:
                s.update(blobId=f.blob_id, size=len(f.data))
                if f.lfs:
                    s["lfs"] = {
                        "sha256": f.sha256,
                        "size": len(f.data),
                        "pointerSize": len(f.pointer),
                    }
            siblings.append(s)
        body = {
            "_id": sha[:24],
            "id": repo_id,
            "modelId": repo_id,
            "author": repo_id.split("/")[0],
            "sha": sha,
            "private": False,
            "gated": repo.gated,
            "disabled": False,
            "tags": ["transformers", f"license:{repo.license}"],
            "cardData": {"license": repo.license},
            "siblings": siblings,
        }
        self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _tree(self, repo_id: str, rev: str, sub: str) -> None:
        """The recursive file listing snapshot_download reads (used by the benchmark)."""
        found = self._repo(repo_id, rev)
        if found is None:
            return
        repo, sha = found
        entries: list[dict[str, object]] = []
        dirs: set[str] = set()
        for f in repo.commits[sha].values():
            if sub and not f.name.startswith(sub.rstrip("/") + "/"):
                continue
            parts = f.name.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]))
            e: dict[str, object] = {
                "type": "file",
                "oid": f.blob_id,
                "size": len(f.data),
                "path": f.name,
            }
            if f.lfs:
                e["lfs"] = {"oid": f.sha256, "size": len(f.data), "pointerSize": len(f.pointer)}
            entries.append(e)
        entries += [
            {"type": "directory", "oid": "0" * 40, "size": 0, "path": d} for d in sorted(dirs)
        ]
        self._send(200, json.dumps(entries).encode(), {"Content-Type": "application/json"})

    def _resolve(self, repo_id: str, rev: str, name: str, head: bool) -> None:
        found = self._repo(repo_id, rev)
        if found is None:
            return
        repo, sha = found
        if repo.gated:
            return self._error(
                repo.gated_status,
                "GatedRepo",
                f"Access to model {repo_id} is restricted. You must have access to it and be "
                "authenticated to access it. Please log in.",
            )
        f = repo.commits[sha].get(name)
        if f is None:
            return self._error(
                404, "EntryNotFound", f'{name} does not exist on "{rev}"', {"X-Repo-Commit": sha}
            )
        headers = {"X-Repo-Commit": sha}
        if f.lfs:
            headers.update(
                {
                    "Location": f"{self.hub.cdn_url}/blobs/{f.sha256}",
                    "X-Linked-Etag": f'"{f.sha256}"',
                    "X-Linked-Size": str(len(f.data)),
                    "ETag": f'"{f.blob_id}"',
                }
            )
            return self._send(302, b"", headers)
        headers["ETag"] = f'"{f.blob_id}"'
        self._content(f, head, headers)

    # -- helpers ---------------------------------------------------------------------------

    def _content(self, f: HubFile, head: bool, headers: dict[str, str]) -> None:
        data = f.data
        start = 0
        rng = self.headers.get("Range")
        if rng and not self.hub.ignore_range and not head:
            m = re.match(r"bytes=(\d+)-$", rng)
            if m:
                start = int(m.group(1))
                if start >= len(data):
                    return self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
        headers = {**headers, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        drop = None if head or start else self.hub.take_drop(f.name)
        self.send_response(206 if start else 200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        if drop is not None:
            self.wfile.write(body[:drop])
            self.wfile.flush()
            # Drop the connection mid-body, as a flaky network does.
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if body and self.hub.take_corrupt(f.name):
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
        step, pause = self.hub.throttle.get(f.name, (0, 0.0))
        if not step:
            self.wfile.write(body)
            return
        try:
            for i in range(0, len(body), step):
                self.wfile.write(body[i : i + step])
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            self.close_connection = True  # the client went away (a cancelled download)

    def _error(
        self, status: int, code: str, message: str, extra: dict[str, str] | None = None
    ) -> None:
        body = json.dumps({"error": message}).encode()
        self._send(
            status,
            body,
            {
                "X-Error-Code": code,
                "X-Error-Message": message,
                "Content-Type": "application/json",
                **(extra or {}),
            },
        )

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
