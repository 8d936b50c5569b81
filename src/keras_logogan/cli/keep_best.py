"""`logogan train --keep-best`: score every check by SWD and save the best one as a model.

At each check the callback scores 1,000 samples of the sampling generator
against the training images by the sliced Wasserstein distance x1e3 (lower
is better, see `keras_logogan.metrics.sliced_wasserstein_distance`). A new
best goes to `best.weights.h5`, with the history of checks in `best.json`,
both in the run folder. At the end of the run `best.keras` contains the
whole model at its best check and `samples/best.png` shows it, beside
`model.keras` and `samples/final.png` of the last epoch. `--resume` reads
`best.json` back, so a continued run compares with the earlier best.

This module imports Keras, so the CLI imports it only after `--backend` is
applied.
"""

import math
import os

from keras_logogan.callbacks import BestCheckpoint

BEST_WEIGHTS_FILE = "best.weights.h5"
BEST_MODEL_FILE = "best.keras"
BEST_GRID_FILE = "best.png"
SCORE_COLUMN = "swd"
NUM_IMAGES = 1000
# Below this many checks a run prints a hint to add some, because few
# checks leave little to choose from.
MIN_CHECKS = 3


def make_callback(run_dir, train_images, every_epochs, seed, images_per_epoch, initial_epoch):
    """Return the `BestCheckpoint` of the run in `run_dir`, resumed when `initial_epoch` > 0."""
    callback = BestCheckpoint(
        train_images,
        num_images=NUM_IMAGES,
        every_epochs=every_epochs,
        seed=seed,
        log_key=SCORE_COLUMN,
        images_per_epoch=images_per_epoch,
        path=os.path.join(run_dir, BEST_WEIGHTS_FILE),
        # The CLI restores the best weights itself, after model.keras and
        # the final grid have been written from the last ones.
        restore_best=False,
    )
    if initial_epoch > 0:
        callback.resume(initial_epoch)
    return callback


def count_checks(initial_epoch, epochs, every_epochs):
    """Return how many checks epochs `initial_epoch + 1` to `epochs` get: every Nth and the last."""
    return sum(
        1
        for epoch in range(initial_epoch + 1, epochs + 1)
        if epoch % every_epochs == 0 or epoch == epochs
    )


def few_checks_hint(initial_epoch, epochs, every_epochs):
    """Return a line suggesting `--check-every` when the run has under `MIN_CHECKS` checks, else None."""
    checks = count_checks(initial_epoch, epochs, every_epochs)
    if checks >= MIN_CHECKS or epochs - initial_epoch < MIN_CHECKS:
        return None
    spacing = max(1, (epochs - initial_epoch) // MIN_CHECKS)
    if spacing == 1:
        suggestion = "Pass --check-every 1 to score every epoch."
    else:
        suggestion = f"Pass --check-every {spacing} or less to score more epochs."
    return (
        f"--keep-best: these {epochs - initial_epoch} epochs get {_checks(checks)} "
        f"(every {every_epochs} epochs and after the last), which leaves little to "
        f"choose from. {suggestion}"
    )


def save_best(gan, callback, run_dir, grid_latents):
    """Load the best check into `gan` and write `best.keras` and `samples/best.png`.

    Returns:
        The path of `best.keras`, or None when no check scored a finite value.
    """
    from keras_logogan.cli.train import GRID_SCALE
    from keras_logogan.cli.train import save_model_atomically
    from keras_logogan.images import save_grid

    callback.set_model(gan)
    if callback.restore() is None:
        return None
    model_path = os.path.join(run_dir, BEST_MODEL_FILE)
    save_model_atomically(gan, model_path)
    save_grid(
        gan.generate(latents=grid_latents),
        os.path.join(run_dir, "samples", BEST_GRID_FILE),
        scale=GRID_SCALE,
    )
    return model_path


def describe(callback, model_path):
    """Return the summary line about the best check for the end of the run."""
    if not callback.history:
        return "  best check:   none; no check ran, so best.keras was not written"
    if model_path is None:
        return "  best check:   none; no check gave a finite SWD, so best.keras was not written"
    text = (
        f"  best check:   epoch {callback.best_epoch}, SWD {callback.best_value:.2f} "
        f"(lowest of {_checks(len(callback.history))}"
    )
    last = callback.history[-1] if callback.history else {}
    last_score = last.get(SCORE_COLUMN)
    if last.get("epoch") != callback.best_epoch and last_score is not None and math.isfinite(last_score):
        text += f"; the last check, epoch {last['epoch']}, scored {last_score:.2f}"
    return text + f"), saved as {model_path} with its grid samples/best.png"


def _checks(count):
    return "1 check" if count == 1 else f"{count} checks"
