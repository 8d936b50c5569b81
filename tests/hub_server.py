"""A loopback stand-in for the Hugging Face Hub file endpoint, for tests of `from_pretrained`.

It responds to HEAD and GET on `/{repo_id}/resolve/{revision}/{filename}` the way
`huggingface_hub.hf_hub_download` expects: `X-Repo-Commit`, `ETag` and
`Content-Length` on success, and `X-Error-Code` (`RepoNotFound`,
`RevisionNotFound`, `EntryNotFound`) on 404. Revisions are branch names or
40-character commit hashes. Every request is logged with the phase that a
client set with `GET /_phase/<name>`, so a test can count the requests of
each step of a client process.
"""

import hashlib
import http.server
import threading
import urllib.parse

RESOLVE_MARKER = "/resolve/"


class HubRepository:
    """Commits of one model repository: commit hash -> {filename: bytes}, and branches."""

    def __init__(self):
        self.commits = {}
        self.branches = {}

    def add_commit(self, files, branch="main"):
        """Store `files` as a new commit at the head of `branch`, and return its hash."""
        digest = hashlib.sha1(repr(sorted((name, data) for name, data in files.items())).encode())
        digest.update(f"{branch}:{len(self.commits)}".encode())
        commit = digest.hexdigest()
        self.commits[commit] = dict(files)
        self.branches[branch] = commit
        return commit

    def resolve(self, revision):
        """Return the commit hash that `revision` names, or None."""
        if revision in self.commits:
            return revision
        return self.branches.get(revision)


class LoopbackHub:
    """A threaded HTTP server on 127.0.0.1 holding `HubRepository` objects by repo id."""

    def __init__(self):
        self.repositories = {}
        self.requests = []
        self.phase = None
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def repository(self, repo_id):
        """Return the repository `repo_id`, creating it when missing."""
        return self.repositories.setdefault(repo_id, HubRepository())

    def requests_in(self, phase, method=None):
        """Return the `(method, path)` pairs logged during `phase`, optionally of one method."""
        with self._lock:
            return [
                (logged_method, path)
                for logged_phase, logged_method, path in self.requests
                if logged_phase == phase and (method is None or logged_method == method)
            ]

    def _log(self, method, path):
        with self._lock:
            self.requests.append((self.phase, method, path))

    def _handler_class(self):
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self):
                self._answer(send_body=False)

            def do_GET(self):
                if self.path.startswith("/_phase/"):
                    hub.phase = urllib.parse.unquote(self.path[len("/_phase/") :])
                    self._send(200, b"", {})
                    return
                self._answer(send_body=True)

            def log_message(self, format, *args):
                pass

            def _answer(self, send_body):
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                hub._log(self.command, path)
                repo_id, _, rest = path.partition(RESOLVE_MARKER)
                repo_id = repo_id.strip("/")
                revision, _, filename = rest.partition("/")
                repository = hub.repositories.get(repo_id)
                if repository is None or not rest:
                    self._send(404, b"", {"X-Error-Code": "RepoNotFound"}, send_body)
                    return
                commit = repository.resolve(revision)
                if commit is None:
                    self._send(404, b"", {"X-Error-Code": "RevisionNotFound"}, send_body)
                    return
                data = repository.commits[commit].get(filename)
                if data is None:
                    headers = {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit}
                    self._send(404, b"", headers, send_body)
                    return
                headers = {
                    "X-Repo-Commit": commit,
                    "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                    "Content-Type": "application/octet-stream",
                }
                self._send(200, data, headers, send_body)

            def _send(self, status, body, headers, send_body=True):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

        return Handler
