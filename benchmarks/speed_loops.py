"""The `logogan_fit` loop of `speed.py`, and the epoch timing that every loop shares.

Each function here runs inside one worker process whose Keras backend was
fixed before Keras was imported. A loop runs `warmup_epochs` unmeasured
epochs and then `epochs` measured ones, each of `steps` training steps of
`batch_size` images, and its throughput is the median over the measured
epochs.
"""

import statistics
import time

import keras
import numpy as np

IMAGE_SIZE = 32
# Batch sizes `measure_generate` tries; those above the image count, or that
# do not divide it, are skipped so that every call has one batch shape.
GENERATE_BATCH_SIZES = (128, 256, 512, 1024, 2048, 4096)


def load_training_images(batch_size):
    """Return the shipped 32 px logos, cut to a whole number of batches (repeated if fewer than one batch).

    Whole batches keep every step at one batch shape, so no loop retraces
    or recompiles for a smaller last batch during the timed epochs.
    """
    from keras_logogan.datasets import load_icons

    icons = load_icons(IMAGE_SIZE)
    count = max(1, len(icons) // batch_size) * batch_size
    return icons[np.arange(count) % len(icons)]


def epoch_record(index, settings, seconds, cpu_seconds):
    """Return the numbers of one timed epoch of `settings["steps"]` steps."""
    images = settings["steps"] * settings["batch_size"]
    return {
        "epoch": index + 1,
        "warmup": index < settings["warmup_epochs"],
        "steps": settings["steps"],
        "images": images,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "images_per_second": images / seconds,
        "images_per_cpu_second": images / cpu_seconds if cpu_seconds > 0 else None,
    }


def time_epochs(run_epoch, settings):
    """Call `run_epoch()` for the warm-up and the measured epochs, and return one record per epoch.

    `run_epoch` must return only after its last step has finished, for
    example by reading a loss value.
    """
    records = []
    for index in range(settings["warmup_epochs"] + settings["epochs"]):
        started, cpu_started = time.perf_counter(), time.process_time()
        run_epoch()
        seconds = time.perf_counter() - started
        records.append(epoch_record(index, settings, seconds, time.process_time() - cpu_started))
    return records


def loop_result(loop, backend, records, settings, setup_seconds):
    """Return a worker result: the per-epoch records and their median over the measured epochs."""
    measured = [record for record in records if not record["warmup"]]
    cpu_rates = [
        record["images_per_cpu_second"] for record in measured if record["images_per_cpu_second"]
    ]
    return {
        "loop": loop,
        "backend": backend,
        "batch_size": settings["batch_size"],
        "steps_per_epoch": settings["steps"],
        "warmup_epochs": settings["warmup_epochs"],
        "measured_epochs": len(measured),
        "setup_seconds": setup_seconds,
        "images_per_second": statistics.median(record["images_per_second"] for record in measured),
        "images_per_second_min": min(record["images_per_second"] for record in measured),
        "images_per_second_max": max(record["images_per_second"] for record in measured),
        "images_per_cpu_second": statistics.median(cpu_rates) if cpu_rates else None,
        "epochs": records,
    }


class EpochTimer(keras.callbacks.Callback):
    """Record the wall-clock and CPU seconds of every epoch of a `fit` call.

    It overrides no batch hook, so Keras keeps handling the per-batch logs
    asynchronously, as in a user's `fit` call. Keras converts the epoch's
    logs to floats before `on_epoch_end`, which waits for the last step.
    """

    def __init__(self, settings):
        super().__init__()
        self.settings = settings
        self.records = []
        self._started = None
        self._cpu_started = None

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()
        self._cpu_started = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._started
        cpu_seconds = time.process_time() - self._cpu_started
        self.records.append(epoch_record(len(self.records), self.settings, seconds, cpu_seconds))


class StepTimer(keras.callbacks.Callback):
    """Record when each epoch begins and ends and when each of its steps ends.

    Because it overrides `on_train_batch_end`, Keras converts every step's
    logs to floats before calling it, so each time is taken after the step
    has finished, on every backend.
    """

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append({"begin": time.perf_counter(), "step_ends": [], "end": None})

    def on_train_batch_end(self, batch, logs=None):
        self.epochs[-1]["step_ends"].append(time.perf_counter())

    def on_epoch_end(self, epoch, logs=None):
        self.epochs[-1]["end"] = time.perf_counter()


def run_logogan_fit(settings):
    """Time `LogoGAN.fit` epochs on an endless dataset, then generation and epoch starts."""
    from keras_logogan import LogoGAN
    from keras_logogan.datasets.pipeline import make_epoch_dataset

    import speed_flops

    started = time.perf_counter()
    images = load_training_images(settings["batch_size"])
    keras.utils.set_random_seed(settings["seed"])
    gan = LogoGAN(seed=settings["seed"])
    # Keras' torch trainer runs one step per call.
    torch_backend = keras.config.backend() == "torch"
    gan.compile(steps_per_execution=1 if torch_backend else settings["steps_per_execution"])
    setup_seconds = time.perf_counter() - started

    # The dataset `logogan train` uses: endless, every epoch a new order.
    dataset = make_epoch_dataset(images, settings["batch_size"], seed=settings["seed"])
    timer = EpochTimer(settings)
    gan.fit(
        dataset,
        steps_per_epoch=settings["steps"],
        epochs=settings["warmup_epochs"] + settings["epochs"],
        callbacks=[timer],
        verbose=0,
    )

    backend = keras.config.backend()
    result = loop_result("logogan_fit", backend, timer.records, settings, setup_seconds)
    result["jit_compile"] = gan.jit_compile
    result["steps_per_execution"] = gan.steps_per_execution
    result["networks"] = {
        "generator": speed_flops.describe_keras_network(gan.generator),
        "discriminator": speed_flops.describe_keras_network(gan.discriminator),
    }
    result["generate"] = measure_generate(gan, settings)
    if backend in settings["epoch_start_backends"]:
        result["epoch_starts"] = measure_epoch_starts(gan, settings)
    return result


def measure_generate(gan, settings):
    """Time `gan.generate` at each batch size in `GENERATE_BATCH_SIZES` that fits, after a warm-up call.

    Returns:
        A dict with the seconds of every call, the images/s of each batch
        size (median of the repeats) and the fastest batch size.
    """
    num_images = settings["generate_images"]
    batch_sizes = [
        size for size in GENERATE_BATCH_SIZES if size <= num_images and num_images % size == 0
    ]
    if not batch_sizes:
        batch_sizes = [num_images]

    per_batch_size = []
    for batch_size in batch_sizes:
        # The first call at a batch shape may trace or compile.
        gan.generate(batch_size, seed=0, batch_size=batch_size)
        seconds = []
        for repeat in range(settings["generate_repeats"]):
            started = time.perf_counter()
            gan.generate(num_images, seed=repeat + 1, batch_size=batch_size)
            seconds.append(time.perf_counter() - started)
        per_batch_size.append(
            {
                "batch_size": batch_size,
                "seconds": seconds,
                "images_per_second": num_images / statistics.median(seconds),
            }
        )

    best = max(per_batch_size, key=lambda item: item["images_per_second"])
    return {
        "num_images": num_images,
        "repeats": settings["generate_repeats"],
        "per_batch_size": per_batch_size,
        "best_batch_size": best["batch_size"],
        "images_per_second": best["images_per_second"],
    }


def measure_epoch_starts(gan, settings):
    """Time each step of short `fit` calls with two input styles, to show whether an epoch starts late.

    - array: `gan.fit(uint8_array, epochs=..., batch_size=...)`, which wraps
      the array with `make_dataset` (cached, shuffled with a buffer of the
      whole array) and starts a new pass over it every epoch.
    - repeated_dataset: the endless `make_epoch_dataset` with
      `steps_per_epoch`, as `logogan train` runs.

    Both use every shipped logo (or the first `epoch_start_images`), so the
    last batch of each pass is smaller than the others.
    """
    from keras_logogan.datasets import load_icons
    from keras_logogan.datasets.pipeline import epoch_steps
    from keras_logogan.datasets.pipeline import make_epoch_dataset

    icons = load_icons(IMAGE_SIZE)[: settings["epoch_start_images"]]
    batch_size, epochs = settings["batch_size"], settings["epoch_start_epochs"]

    array_timer = StepTimer()
    gan.fit(icons, batch_size=batch_size, epochs=epochs, callbacks=[array_timer], verbose=0)

    dataset_timer = StepTimer()
    gan.fit(
        make_epoch_dataset(icons, batch_size, seed=settings["seed"]),
        steps_per_epoch=epoch_steps(len(icons), batch_size),
        epochs=epochs,
        callbacks=[dataset_timer],
        verbose=0,
    )
    return {
        "images_per_epoch": len(icons),
        "batch_size": batch_size,
        "array": describe_epoch_starts(array_timer.epochs, len(icons)),
        "repeated_dataset": describe_epoch_starts(dataset_timer.epochs, len(icons)),
    }


def describe_epoch_starts(epochs, images_per_epoch):
    """Return, per epoch, its seconds, its first step's seconds and how much later than a usual step that ended.

    `start_delay_seconds` is the first step's time, counted from the start
    of the epoch, minus the median of the epoch's later steps. The last
    step is left out of that median because its batch may be smaller.
    """
    described = []
    previous_end = None
    for index, epoch in enumerate(epochs):
        ends = epoch["step_ends"]
        step_seconds = [ends[0] - epoch["begin"]] + [b - a for a, b in zip(ends, ends[1:])]
        usual = step_seconds[1:-1] or step_seconds[1:] or step_seconds
        median_step = statistics.median(usual)
        described.append(
            {
                "epoch": index + 1,
                "seconds": epoch["end"] - epoch["begin"],
                "images_per_second": images_per_epoch / (epoch["end"] - epoch["begin"]),
                "steps": len(ends),
                "first_step_seconds": step_seconds[0],
                "median_step_seconds": median_step,
                "start_delay_seconds": step_seconds[0] - median_step,
                "last_step_seconds": step_seconds[-1],
                "gap_after_previous_epoch_seconds": None
                if previous_end is None
                else epoch["begin"] - previous_end,
                "step_seconds": step_seconds,
            }
        )
        previous_end = epoch["end"]
    return described
