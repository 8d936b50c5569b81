"""Upload a shipped preset folder to a Hugging Face Hub model repository.

Usage:
    python scripts/publish_preset.py icons32 namespace/name [--branch B] [--create-pr] [--private]

The folder `src/keras_logogan/presets/<name>/` is uploaded as it is, so the
Hub copy equals the shipped one. The token comes from `HF_TOKEN` or the saved
`hf auth login`.
"""

import argparse
import os
import sys

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESETS_FOLDER = os.path.join(REPOSITORY, "src", "keras_logogan", "presets")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="preset name, a folder under src/keras_logogan/presets")
    parser.add_argument("repo_id", help="Hub model repository, namespace/name")
    parser.add_argument("--branch", default=None, help="branch to commit to (default: main)")
    parser.add_argument("--create-pr", action="store_true", help="open a pull request instead")
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--commit-message", default=None, help="commit message")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    folder = os.path.join(PRESETS_FOLDER, args.name)
    if not os.path.isfile(os.path.join(folder, "config.json")):
        sys.exit(f"publish_preset: {folder} has no config.json. Run scripts/train_preset.py first.")

    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(args.repo_id, private=args.private, exist_ok=True, repo_type="model")
    if args.branch is not None:
        api.create_branch(args.repo_id, branch=args.branch, exist_ok=True, repo_type="model")
    commit = api.upload_folder(
        repo_id=args.repo_id,
        folder_path=folder,
        repo_type="model",
        commit_message=args.commit_message or f"Upload keras-logogan preset {args.name}",
        revision=args.branch,
        create_pr=args.create_pr,
    )
    print(f"Uploaded {folder} to {args.repo_id}: {commit}")


if __name__ == "__main__":
    main()
