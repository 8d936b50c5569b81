"""`LogoGAN.from_pretrained` with the real `huggingface_hub` client against a loopback Hub.

`huggingface_hub` reads `HF_ENDPOINT`, `HF_HOME` and `HF_HUB_OFFLINE` when it
is imported, so each client runs in a subprocess with those variables set.
One online client and one offline client run every step; the tests then
check each step's result and the requests the server logged during it.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hub_server import LoopbackHub

from keras_logogan import LogoGAN
from keras_logogan.hub import files

TINY = dict(image_size=16, width=8)

# The client runs the steps given as JSON in argv[1]. For each step it
# announces the phase to the server, calls `from_pretrained` and records the
# outcome. Images of successful loads go to the .npz file argv[2], and the
# outcomes are printed as JSON.
CLIENT = r"""
import json, sys, urllib.request
import numpy as np
from keras_logogan import LogoGAN

steps, images_path, endpoint = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
outcomes, images = {}, {}
for step in steps:
    urllib.request.urlopen(endpoint + "/_phase/" + step["phase"]).read()
    try:
        gan = LogoGAN.from_pretrained(step["name"], **step.get("options", {}))
    except Exception as error:
        outcomes[step["phase"]] = {
            "error": [cls.__name__ for cls in type(error).__mro__],
            "message": str(error),
            "cause": type(error.__cause__).__name__ if error.__cause__ else None,
        }
        continue
    images[step["phase"]] = gan.generate(4, seed=1)
    outcomes[step["phase"]] = {"error": None, "has_trained_discriminator": step.get("options", {}).get("load_discriminator", False)}
np.savez(images_path, **images)
urllib.request.urlopen(endpoint + "/_phase/done").read()
print("OUTCOMES " + json.dumps(outcomes))
"""


def _folder_files(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)}


def _run_client(hub, steps, hf_home, tmp_path, label, offline=False):
    environment = dict(os.environ)
    for name in ("HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN"):
        environment.pop(name, None)
    environment.update(
        HF_ENDPOINT=hub.url,
        HF_HOME=str(hf_home),
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    if offline:
        environment["HF_HUB_OFFLINE"] = "1"
    images_path = tmp_path / f"{label}.npz"
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(steps), str(images_path), hub.url],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("OUTCOMES "))
    outcomes = json.loads(line[len("OUTCOMES ") :])
    with np.load(images_path) as archive:
        images = {name: archive[name] for name in archive.files}
    return outcomes, images


@pytest.fixture(scope="module")
def hub_run(tmp_path_factory):
    """Serve several repositories, run the online and offline clients, and return their results."""
    tmp_path = tmp_path_factory.mktemp("hub")
    gan_main = LogoGAN(seed=1, **TINY)
    gan_branch = LogoGAN(seed=2, **TINY)
    main_files = _folder_files(gan_main.save_pretrained(tmp_path / "main"))
    branch_files = _folder_files(gan_branch.save_pretrained(tmp_path / "branch"))
    with_discriminator = _folder_files(
        gan_main.save_pretrained(tmp_path / "with_discriminator", include_discriminator=True)
    )
    wide_files = _folder_files(LogoGAN(image_size=16, width=16).save_pretrained(tmp_path / "wide"))

    config = json.loads(main_files[files.CONFIG_FILE])
    config["config"]["generator"]["config"]["layers"][1].update(
        module="evil_package.layers", class_name="Backdoor", registered_name="evil>Backdoor"
    )
    unregistered = dict(main_files, **{files.CONFIG_FILE: json.dumps(config).encode()})
    weights = main_files[files.GENERATOR_WEIGHTS_FILE]
    truncated = dict(main_files, **{files.GENERATOR_WEIGHTS_FILE: weights[: len(weights) // 2]})
    # The config of the 8-filter model with the weights of a 16-filter one,
    # and no recorded checksum, so only the shapes tell them apart.
    mismatch_config = json.loads(main_files[files.CONFIG_FILE])
    del mismatch_config["weights"]["generator"]["sha256"]
    mismatch = dict(
        wide_files, **{files.CONFIG_FILE: json.dumps(mismatch_config).encode()}
    )
    no_weights = {files.CONFIG_FILE: main_files[files.CONFIG_FILE]}

    hub = LoopbackHub().start()
    logos = hub.repository("org/logos")
    main_commit = logos.add_commit(main_files, branch="main")
    branch_commit = logos.add_commit(branch_files, branch="v2")
    hub.repository("org/with-discriminator").add_commit(with_discriminator)
    hub.repository("org/unregistered").add_commit(unregistered)
    hub.repository("org/truncated").add_commit(truncated)
    hub.repository("org/mismatch").add_commit(mismatch)
    hub.repository("org/no-weights").add_commit(no_weights)
    hub.repository("org/never-downloaded").add_commit(main_files)

    online_steps = [
        {"phase": "first", "name": "org/logos"},
        {"phase": "second", "name": "org/logos"},
        {"phase": "branch", "name": "org/logos", "options": {"revision": "v2"}},
        {"phase": "commit", "name": "org/logos", "options": {"revision": main_commit}},
        {"phase": "hf-uri", "name": "hf://org/logos"},
        {"phase": "force", "name": "org/logos", "options": {"force_download": True}},
        {"phase": "discriminator", "name": "org/with-discriminator", "options": {"load_discriminator": True}},
        {"phase": "local-only-cold", "name": "org/never-downloaded", "options": {"local_files_only": True}},
        {"phase": "missing-repo", "name": "org/absent"},
        {"phase": "missing-revision", "name": "org/logos", "options": {"revision": "no-such-branch"}},
        {"phase": "missing-file", "name": "org/no-weights"},
        {"phase": "truncated", "name": "org/truncated"},
        {"phase": "mismatch", "name": "org/mismatch"},
        {"phase": "unregistered", "name": "org/unregistered"},
    ]
    offline_steps = [
        {"phase": "offline-warm", "name": "org/logos"},
        {"phase": "offline-commit", "name": "org/logos", "options": {"revision": branch_commit}},
        {"phase": "offline-cold", "name": "org/never-downloaded"},
    ]
    hf_home = tmp_path / "hf_home"
    try:
        online, online_images = _run_client(hub, online_steps, hf_home, tmp_path, "online")
        offline, offline_images = _run_client(
            hub, offline_steps, hf_home, tmp_path, "offline", offline=True
        )
    finally:
        hub.stop()
    yield {
        "hub": hub,
        "hf_home": hf_home,
        "outcomes": {**online, **offline},
        "images": {**online_images, **offline_images},
        "expected_main": gan_main.generate(4, seed=1),
        "expected_branch": gan_branch.generate(4, seed=1),
    }


def _assert_loaded(hub_run, phase):
    outcome = hub_run["outcomes"][phase]
    assert outcome["error"] is None, outcome


def _assert_error(hub_run, phase, error_name):
    outcome = hub_run["outcomes"][phase]
    assert outcome["error"] is not None, f"{phase} loaded without an error"
    assert error_name in outcome["error"], outcome
    return outcome


def test_download_gives_saved_images(hub_run):
    _assert_loaded(hub_run, "first")
    np.testing.assert_array_equal(hub_run["images"]["first"], hub_run["expected_main"])


def test_download_fetches_only_needed_files(hub_run):
    fetched = {path.rsplit("/", 1)[1] for _, path in hub_run["hub"].requests_in("first", "GET")}

    assert fetched == {files.CONFIG_FILE, files.GENERATOR_WEIGHTS_FILE}


def test_download_uses_hf_home_cache(hub_run):
    assert (hub_run["hf_home"] / "hub" / "models--org--logos" / "snapshots").is_dir()


def test_second_load_downloads_nothing(hub_run):
    _assert_loaded(hub_run, "second")
    requests = hub_run["hub"].requests_in("second")

    # One HEAD checks which commit "main" points to; the weights are then
    # read at that commit straight from the cache.
    assert requests == [("HEAD", "/org/logos/resolve/main/config.json")]
    np.testing.assert_array_equal(hub_run["images"]["second"], hub_run["expected_main"])


def test_commit_pinned_cached_load_sends_no_request(hub_run):
    _assert_loaded(hub_run, "commit")

    assert hub_run["hub"].requests_in("commit") == []
    np.testing.assert_array_equal(hub_run["images"]["commit"], hub_run["expected_main"])


def test_branch_revision_loads_branch_model(hub_run):
    _assert_loaded(hub_run, "branch")
    paths = [path for _, path in hub_run["hub"].requests_in("branch")]

    assert "/org/logos/resolve/v2/config.json" in paths
    np.testing.assert_array_equal(hub_run["images"]["branch"], hub_run["expected_branch"])


def test_hf_uri_loads_repository(hub_run):
    _assert_loaded(hub_run, "hf-uri")

    assert hub_run["hub"].requests_in("hf-uri", "GET") == []
    np.testing.assert_array_equal(hub_run["images"]["hf-uri"], hub_run["expected_main"])


def test_force_download_downloads_again(hub_run):
    _assert_loaded(hub_run, "force")
    fetched = {path.rsplit("/", 1)[1] for _, path in hub_run["hub"].requests_in("force", "GET")}

    assert fetched == {files.CONFIG_FILE, files.GENERATOR_WEIGHTS_FILE}


def test_discriminator_downloads_when_requested(hub_run):
    _assert_loaded(hub_run, "discriminator")
    fetched = {
        path.rsplit("/", 1)[1] for _, path in hub_run["hub"].requests_in("discriminator", "GET")
    }

    assert files.DISCRIMINATOR_WEIGHTS_FILE in fetched


def test_offline_warm_cache_loads_without_requests(hub_run):
    _assert_loaded(hub_run, "offline-warm")

    assert hub_run["hub"].requests_in("offline-warm") == []
    np.testing.assert_array_equal(hub_run["images"]["offline-warm"], hub_run["expected_main"])


def test_offline_cached_commit_loads(hub_run):
    _assert_loaded(hub_run, "offline-commit")

    np.testing.assert_array_equal(hub_run["images"]["offline-commit"], hub_run["expected_branch"])


def test_offline_cold_cache_raises(hub_run):
    outcome = _assert_error(hub_run, "offline-cold", "OfflineCacheMissError")

    assert "HF_HUB_OFFLINE is set" in outcome["message"]
    assert "config.json" in outcome["message"]
    assert outcome["cause"] == "LocalEntryNotFoundError"
    assert hub_run["hub"].requests_in("offline-cold") == []


def test_local_files_only_cold_cache_raises(hub_run):
    outcome = _assert_error(hub_run, "local-only-cold", "OfflineCacheMissError")

    assert "local_files_only=True" in outcome["message"]
    assert hub_run["hub"].requests_in("local-only-cold") == []


def test_missing_repository_raises(hub_run):
    outcome = _assert_error(hub_run, "missing-repo", "PretrainedNotFoundError")

    assert "'org/absent'" in outcome["message"]
    assert "FileNotFoundError" in outcome["error"]
    assert outcome["cause"] == "RepositoryNotFoundError"


def test_missing_revision_raises(hub_run):
    outcome = _assert_error(hub_run, "missing-revision", "PretrainedNotFoundError")

    assert "'no-such-branch'" in outcome["message"]
    assert outcome["cause"] == "RevisionNotFoundError"


def test_missing_file_raises(hub_run):
    outcome = _assert_error(hub_run, "missing-file", "PretrainedNotFoundError")

    assert files.GENERATOR_WEIGHTS_FILE in outcome["message"]
    assert "'org/no-weights'" in outcome["message"]
    assert outcome["cause"] == "RemoteEntryNotFoundError"


def test_truncated_weights_raise(hub_run):
    outcome = _assert_error(hub_run, "truncated", "WeightsFileError")

    assert outcome["message"].startswith(files.GENERATOR_WEIGHTS_FILE)
    assert "truncated or corrupt" in outcome["message"]


def test_mismatched_shapes_raise(hub_run):
    outcome = _assert_error(hub_run, "mismatch", "WeightsMismatchError")

    assert outcome["message"].startswith(files.GENERATOR_WEIGHTS_FILE)
    assert "(128, 512)" in outcome["message"]


def test_unregistered_class_raises_before_weights(hub_run):
    outcome = _assert_error(hub_run, "unregistered", "IncompatibleConfigError")
    paths = [path for _, path in hub_run["hub"].requests_in("unregistered")]

    assert outcome["message"].startswith(files.CONFIG_FILE)
    assert "'Backdoor'" in outcome["message"]
    assert "config.generator.config.layers[1]" in outcome["message"]
    assert not any(path.endswith(files.GENERATOR_WEIGHTS_FILE) for path in paths)
