"""`LogoGAN.push_to_hub` with `HfApi` patched: the calls it makes and the files it uploads."""

import os
import types
from unittest import mock

import pytest

from keras_logogan import LogoGAN
from keras_logogan.hub import files


@pytest.fixture
def patched_api(monkeypatch):
    """Patch `HfApi`'s repository methods and record what `upload_folder` would upload."""
    import huggingface_hub

    uploaded = {}

    def fake_upload_folder(self, **kwargs):
        folder = kwargs["folder_path"]
        uploaded["kwargs"] = kwargs
        uploaded["files"] = {
            name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)
        }
        return "commit-info"

    create_repo = mock.Mock(return_value=types.SimpleNamespace(repo_id="org/logos"))
    create_branch = mock.Mock()
    monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", create_repo)
    monkeypatch.setattr(huggingface_hub.HfApi, "create_branch", create_branch)
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", fake_upload_folder)
    return {"create_repo": create_repo, "create_branch": create_branch, "uploaded": uploaded}


def test_push_uploads_pretrained_folder(patched_api):
    gan = LogoGAN(image_size=16, width=8)

    result = gan.push_to_hub("org/logos", commit_message="First logos", private=True)

    assert result == "commit-info"
    patched_api["create_repo"].assert_called_once_with(
        "org/logos", private=True, exist_ok=True, repo_type="model"
    )
    patched_api["create_branch"].assert_not_called()
    kwargs = patched_api["uploaded"]["kwargs"]
    assert kwargs["repo_id"] == "org/logos"
    assert kwargs["commit_message"] == "First logos"
    assert kwargs["revision"] is None
    assert kwargs["create_pr"] is False
    assert sorted(patched_api["uploaded"]["files"]) == sorted(
        [
            files.CONFIG_FILE,
            files.METADATA_FILE,
            files.GENERATOR_WEIGHTS_FILE,
            files.MODEL_CARD_FILE,
            files.SAMPLE_GRID_FILE,
        ]
    )


def test_push_card_names_repository(patched_api):
    LogoGAN(image_size=16, width=8).push_to_hub("org/logos", license="mit")
    card = patched_api["uploaded"]["files"][files.MODEL_CARD_FILE].decode()

    assert 'LogoGAN.from_pretrained("org/logos")' in card
    assert "license: mit" in card
    assert "pipeline_tag: unconditional-image-generation" in card


def test_push_to_branch_creates_it(patched_api):
    LogoGAN(image_size=16, width=8).push_to_hub(
        "org/logos", branch="v2", create_pr=True, include_discriminator=True
    )

    patched_api["create_branch"].assert_called_once()
    assert patched_api["create_branch"].call_args.kwargs["branch"] == "v2"
    kwargs = patched_api["uploaded"]["kwargs"]
    assert kwargs["revision"] == "v2"
    assert kwargs["create_pr"] is True
    assert files.DISCRIMINATOR_WEIGHTS_FILE in patched_api["uploaded"]["files"]


def test_push_passes_token(patched_api, monkeypatch):
    import huggingface_hub

    tokens = []
    original_init = huggingface_hub.HfApi.__init__

    def recording_init(self, *args, **kwargs):
        tokens.append(kwargs.get("token"))
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(huggingface_hub.HfApi, "__init__", recording_init)

    LogoGAN(image_size=16, width=8).push_to_hub("org/logos", token="hf_test")

    assert tokens == ["hf_test"]
