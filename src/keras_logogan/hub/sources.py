"""Find the files of a pretrained LogoGAN: a local folder, a shipped preset or a Hub repository.

Hub files are fetched one by one with `huggingface_hub.hf_hub_download`, so
they land in the shared Hugging Face cache and the usual environment
variables apply: `HF_ENDPOINT`, `HF_HOME`, `HF_HUB_CACHE`, `HF_HUB_OFFLINE`
and `HF_TOKEN`. `huggingface_hub` reads them when it is first imported.
"""

import os
import re

from keras_logogan.hub import files
from keras_logogan.hub.errors import OfflineCacheMissError
from keras_logogan.hub.errors import PretrainedDownloadError
from keras_logogan.hub.errors import PretrainedNotFoundError
from keras_logogan.hub.presets import list_presets
from keras_logogan.hub.presets import preset_folder
from keras_logogan.version import __version__

HF_PREFIX = "hf://"
# A Hub repository id: "namespace/name", as the Hub accepts them.
REPO_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
COMMIT_HASH_PATTERN = re.compile(r"^[0-9a-f]{40}$")


class LocalSource:
    """Files in a local folder (a user's folder or a shipped preset)."""

    def __init__(self, folder):
        self.folder = folder
        self.description = f"folder {folder!r}"

    def fetch(self, filename):
        """Return the path of `filename` in the folder."""
        path = os.path.join(self.folder, filename)
        if not os.path.isfile(path):
            raise PretrainedNotFoundError(
                f"{filename} is missing from {self.description}. Save the model there "
                "with `save_pretrained`, which writes every file `from_pretrained` reads."
            )
        return path


class HubSource:
    """Files of a Hugging Face Hub model repository, fetched through the cache.

    The first file is fetched at `revision`. When that resolves to a commit,
    later files are fetched at that commit, so all files come from one
    commit even if the branch moves meanwhile, and cached files need no
    further request.
    """

    def __init__(self, repo_id, *, revision, cache_dir, force_download, token, local_files_only):
        self.repo_id = repo_id
        self.revision = revision
        self.cache_dir = cache_dir
        self.force_download = force_download
        self.token = token
        self.local_files_only = local_files_only
        self.description = f"Hub repository {repo_id!r}" + (
            f" at revision {revision!r}" if revision else ""
        )

    def fetch(self, filename):
        """Return the local path of `filename`, downloading it into the cache if needed."""
        import huggingface_hub
        from huggingface_hub import errors as hub_errors

        try:
            path = huggingface_hub.hf_hub_download(
                self.repo_id,
                filename,
                revision=self.revision,
                cache_dir=self.cache_dir,
                force_download=self.force_download,
                token=self.token,
                local_files_only=self.local_files_only,
                library_name="keras-logogan",
                library_version=__version__,
            )
        except hub_errors.LocalEntryNotFoundError as error:
            raise OfflineCacheMissError(
                f"{filename} of {self.description} is not in the Hugging Face cache, and "
                f"the Hub was not contacted ({_offline_reason(self.local_files_only)}). "
                "Run once with network access to fill the cache, or unset HF_HUB_OFFLINE "
                "and pass local_files_only=False."
            ) from error
        except hub_errors.RevisionNotFoundError as error:
            raise PretrainedNotFoundError(
                f"Revision {self.revision!r} was not found in Hub repository "
                f"{self.repo_id!r}. Pass an existing branch, tag or commit hash."
            ) from error
        except hub_errors.RepositoryNotFoundError as error:
            raise PretrainedNotFoundError(
                f"Hub repository {self.repo_id!r} was not found, or it is private or "
                "gated and no valid token was sent. Check the id, or pass `token=`."
            ) from error
        except hub_errors.EntryNotFoundError as error:
            raise PretrainedNotFoundError(
                f"{filename} was not found in {self.description}. Upload the folder "
                "written by `save_pretrained`, e.g. with `gan.push_to_hub(...)`."
            ) from error
        except hub_errors.HfHubHTTPError as error:
            raise PretrainedDownloadError(
                f"Downloading {filename} from {self.description} failed: {error}"
            ) from error

        # The cache stores files as snapshots/<commit hash>/<filename>.
        commit = os.path.basename(os.path.dirname(path))
        if COMMIT_HASH_PATTERN.match(commit):
            self.revision = commit
        return path


def _offline_reason(local_files_only):
    if local_files_only:
        return "local_files_only=True"
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    return f"the endpoint {constants.ENDPOINT} could not be reached"


def resolve_source(name_or_path, *, revision, cache_dir, force_download, token, local_files_only):
    """Return the source that `name_or_path` names.

    Accepted, in this order: an existing local folder, "hf://namespace/name",
    the name of a shipped preset, and a Hub repository id "namespace/name".

    Raises:
        PretrainedNotFoundError: when `name_or_path` matches none of these forms.
    """
    if isinstance(name_or_path, os.PathLike) or (
        isinstance(name_or_path, str) and os.path.isdir(name_or_path)
    ):
        folder = os.fspath(name_or_path)
        if not os.path.isdir(folder):
            raise PretrainedNotFoundError(f"Folder {folder!r} was not found.")
        return LocalSource(folder)
    if not isinstance(name_or_path, str):
        raise TypeError(
            "`name_or_path` must be a str or path-like. "
            f"Received: {type(name_or_path).__name__}"
        )

    hub_options = dict(
        revision=revision,
        cache_dir=cache_dir,
        force_download=force_download,
        token=token,
        local_files_only=local_files_only,
    )
    if name_or_path.startswith(HF_PREFIX):
        repo_id = name_or_path[len(HF_PREFIX) :].strip("/")
        if not REPO_ID_PATTERN.match(repo_id):
            raise PretrainedNotFoundError(
                f"{name_or_path!r} does not name a Hub repository. Use "
                "'hf://namespace/name', e.g. 'hf://keras-logogan/icons-32'."
            )
        return HubSource(repo_id, **hub_options)

    folder = preset_folder(name_or_path)
    if folder is not None:
        return LocalSource(folder)
    if REPO_ID_PATTERN.match(name_or_path):
        return HubSource(name_or_path, **hub_options)

    presets = sorted(list_presets()) or "none are installed"
    raise PretrainedNotFoundError(
        f"{name_or_path!r} is not an existing folder, a shipped preset or a Hub "
        "repository id. Pass one of: a folder written by `save_pretrained`; a preset "
        f"name (installed: {presets}); a Hub id 'namespace/name'; or "
        "'hf://namespace/name'."
    )


def required_files(load_discriminator):
    """Return the names of the files that loading needs, `config.json` first."""
    names = [files.CONFIG_FILE, files.GENERATOR_WEIGHTS_FILE]
    if load_discriminator:
        names.append(files.DISCRIMINATOR_WEIGHTS_FILE)
    return names
