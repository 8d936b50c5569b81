"""The `tf_interleaved` worker of `speed.py`: the TensorFlow loops, epoch by epoch, in one process.

The other workers run one loop per process, one after another, so a
change in the machine's speed between two processes (another job, a
thermal limit, a different memory layout) moves one loop's number and not
the other's. This worker builds `logogan_fit` on TensorFlow,
`gradient_tape` and `hobby_loop` in one process and takes turns: one epoch
of `fit`, then one epoch of each hand-written loop, in an order that
alternates every cycle. Each cycle gives one paired ratio, `fit` against
the loop run a few seconds later, and the result keeps their median.

`fit` runs once for all epochs, as in the `logogan_fit` worker, and the
hand-written loops run from a callback's `on_epoch_end`. The epoch timer
comes first in the callback list, so their time never counts as `fit`'s.
"""

import shutil
import statistics
import tempfile
import time

import keras

import speed_loops
import speed_tf_loops

HAND_WRITTEN = ("gradient_tape", "hobby_loop")


class TakeTurns(keras.callbacks.Callback):
    """After every `fit` epoch, time one epoch of each hand-written loop, in alternating order."""

    def __init__(self, loops, settings):
        super().__init__()
        self.loops = loops
        self.settings = settings
        self.records = {name: [] for name in loops}

    def on_epoch_end(self, epoch, logs=None):
        names = list(self.loops) if epoch % 2 == 0 else list(self.loops)[::-1]
        for name in names:
            started, cpu_started = time.perf_counter(), time.process_time()
            self.loops[name]()
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            self.records[name].append(
                speed_loops.epoch_record(epoch, self.settings, seconds, cpu_seconds)
            )


def run_tf_interleaved(settings):
    """Time `logogan_fit`, `gradient_tape` and `hobby_loop` in turns and return the worker result."""
    from keras_logogan import LogoGAN
    from keras_logogan.datasets.pipeline import make_epoch_dataset

    settings = {**settings, "epochs": settings["interleaved_epochs"]}
    log_folder = tempfile.mkdtemp(prefix="logogan-speed-interleaved-")
    try:
        tape_epoch, _ = speed_tf_loops.gradient_tape_epochs(settings)
        hobby_epoch, _, finish_hobby = speed_tf_loops.hobby_loop_epochs(settings, log_folder)

        keras.utils.set_random_seed(settings["seed"])
        gan = LogoGAN(seed=settings["seed"])
        gan.compile(steps_per_execution=settings["steps_per_execution"])
        images = speed_loops.load_training_images(settings["batch_size"])
        dataset = make_epoch_dataset(images, settings["batch_size"], seed=settings["seed"])

        fit_timer = speed_loops.EpochTimer(settings)
        turns = TakeTurns({"gradient_tape": tape_epoch, "hobby_loop": hobby_epoch}, settings)
        gan.fit(
            dataset,
            steps_per_epoch=settings["steps"],
            epochs=settings["warmup_epochs"] + settings["epochs"],
            callbacks=[fit_timer, turns],
            verbose=0,
        )
        finish_hobby()
    finally:
        shutil.rmtree(log_folder, ignore_errors=True)

    records = {"logogan_fit": fit_timer.records, **turns.records}
    loops = {
        name: speed_loops.loop_result(name, "tensorflow", loop_records, settings, None)
        for name, loop_records in records.items()
    }
    return {
        "loop": "tf_interleaved",
        "backend": "tensorflow",
        "loops": loops,
        "paired_ratios": paired_ratios(records),
    }


def paired_ratios(records):
    """Return, per hand-written loop, `fit`'s images/s over the loop's in each measured cycle, and their median."""
    fit = [record for record in records["logogan_fit"] if not record["warmup"]]
    ratios = {}
    for name in HAND_WRITTEN:
        loop = [record for record in records[name] if not record["warmup"]]
        per_cycle = [
            a["images_per_second"] / b["images_per_second"] for a, b in zip(fit, loop)
        ]
        ratios[name] = {
            "per_cycle": per_cycle,
            "median": statistics.median(per_cycle) if per_cycle else None,
        }
    return ratios
