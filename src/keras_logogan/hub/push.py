"""`push_to_hub`: upload a pretrained LogoGAN folder to a Hugging Face Hub repository."""

import tempfile

from keras_logogan.hub.pretrained import save_pretrained

DEFAULT_COMMIT_MESSAGE = "Upload LogoGAN"


def push_to_hub(
    gan,
    repo_id,
    *,
    commit_message=DEFAULT_COMMIT_MESSAGE,
    private=None,
    token=None,
    branch=None,
    create_pr=False,
    include_discriminator=False,
    **card_options,
):
    """Save `gan` with `save_pretrained` to a temporary folder and upload it to `repo_id`.

    See `LogoGAN.push_to_hub` for the arguments.

    Returns:
        The `huggingface_hub.CommitInfo` of the upload.
    """
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    repo_url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    # `create_repo` returns the canonical id, e.g. with the user's namespace added.
    repo_id = getattr(repo_url, "repo_id", None) or repo_id
    if branch is not None:
        api.create_branch(repo_id, branch=branch, exist_ok=True, repo_type="model")

    with tempfile.TemporaryDirectory(prefix="keras_logogan_push_") as folder:
        save_pretrained(
            gan,
            folder,
            include_discriminator=include_discriminator,
            repo_name=repo_id,
            **card_options,
        )
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            repo_type="model",
            commit_message=commit_message,
            revision=branch,
            create_pr=create_pr,
        )
