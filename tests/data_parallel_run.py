"""Train one LogoGAN on one device and one data-parallel on 4 CPU devices; print a JSON report.

tests/test_distribution.py runs this file in a subprocess, because the CPU
must be split into devices before the backend starts:
`XLA_FLAGS=--xla_force_host_platform_device_count=4` for JAX, and
`tf.config.set_logical_device_configuration` for TensorFlow. Usage:

    KERAS_BACKEND=jax python tests/data_parallel_run.py

Both runs use the default DCGAN networks, with BatchNormalization in the
generator and the discriminator, plus DiffAugment with adaptive strength
(ADA), SGD, the same weight seed, latent seed and unshuffled images. The report's
last stdout line is a JSON object; see `main` for its keys.
"""

import json
import os
import sys
import typing

NUM_DEVICES = 4
IMAGE_SIZE = 16
WIDTH = 8
NUM_IMAGES = 96
BATCH_SIZE = 32
EPOCHS = 2
LEARNING_RATE = 0.05
COMPILE_OPTIONS = {"augmentation": "translation", "ada_target": 0.1, "ada_kimg": 0.5}


def split_cpu(backend):
    """Make NUM_DEVICES CPU devices; must run before the backend is imported."""
    if backend == "jax":
        device_count_flag = f"--xla_force_host_platform_device_count={NUM_DEVICES}"
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {device_count_flag}"
        return
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(NUM_DEVICES)]
    )


def observed_gan_class():
    """Return a LogoGAN subclass that records the batch size of one replica's step."""
    import keras
    from keras import ops

    from keras_logogan import LogoGAN
    from keras_logogan.models import step_utils

    class ObservedGAN(LogoGAN):
        # A class attribute, so one list collects the sizes of every instance.
        replica_batch_sizes: typing.ClassVar[list] = []

        def train_step(self, *args):
            logs = super().train_step(*args)
            real = step_utils.real_images(args[-1])
            if keras.config.backend() == "jax":
                import jax

                # JAX traces the step on the global batch. Its sharding gives
                # the rows that each device receives.
                jax.debug.inspect_array_sharding(
                    real,
                    callback=lambda sharding: self.replica_batch_sizes.append(
                        sharding.shard_shape(real.shape)[0]
                    ),
                )
            else:
                # Keras averages logs over replicas, so equal shares log their size.
                logs = dict(logs)
                logs["replica_batch_size"] = ops.cast(ops.shape(real)[0], "float32")
            return logs

    return ObservedGAN


def train(gan_class, images, scope):
    """Train a fresh `gan_class` inside `scope`; return it with its per-step logs and evaluation."""
    import keras

    steps = []

    class StepLogs(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append({name: float(value) for name, value in logs.items()})

    keras.utils.set_random_seed(0)
    with scope:
        gan = gan_class(image_size=IMAGE_SIZE, width=WIDTH, seed=0)
        # Adam divides each gradient by its own running magnitude, which
        # would hide gradients summed at the wrong scale; SGD's steps show it.
        gan.compile(
            generator_optimizer=keras.optimizers.SGD(LEARNING_RATE),
            discriminator_optimizer=keras.optimizers.SGD(LEARNING_RATE),
            **COMPILE_OPTIONS,
        )
        gan.fit(
            images,
            batch_size=BATCH_SIZE,
            epochs=EPOCHS,
            shuffle=False,
            verbose=0,
            callbacks=[StepLogs()],
        )
        evaluation = gan.evaluate(images, batch_size=BATCH_SIZE, verbose=0, return_dict=True)
    return gan, steps, evaluation


def replica_spread(gan, strategy):
    """Return, per kind of state, the largest difference between two replicas' copies of it."""
    import numpy as np

    kinds = {
        "seed_state": [gan.seed_generator.state],
        "augment_probability": [gan.augment_probability],
        "batch_norm_statistics": [
            v for v in gan.non_trainable_variables if "moving_" in v.path
        ],
        "averaged_generator": gan.averaged_generator.weights,
        "weights": gan.trainable_variables,
    }
    spreads = {}
    for kind, variables in kinds.items():
        spread = 0.0
        for variable in variables:
            local_values = strategy.experimental_local_results(variable.value)
            copies = [np.asarray(value, dtype=np.float64) for value in local_values]
            spread = max(spread, max(float(np.max(np.abs(c - copies[0]))) for c in copies))
        spreads[kind] = spread
    return spreads


def error_messages(gan_class, images):
    """Return the ValueError message of each invalid data-parallel setup, keyed by case."""
    import keras

    import keras_logogan

    cases = {}
    with keras_logogan.data_parallel():
        gan = gan_class(image_size=IMAGE_SIZE, width=WIDTH)
        gan.compile()
        float_images = (images[:62] / 127.5 - 1.0).astype("float32")
        attempts = {
            "batch_size": lambda: gan.fit(images, batch_size=30, epochs=1, verbose=0),
            "float_last_batch": lambda: gan.fit(float_images, batch_size=32, epochs=1, verbose=0),
        }
        for case, attempt in attempts.items():
            try:
                attempt()
                cases[case] = None
            except ValueError as error:
                cases[case] = str(error)
    if keras.config.backend() == "tensorflow":
        outside = gan_class(image_size=IMAGE_SIZE, width=WIDTH)
        with keras_logogan.data_parallel():
            try:
                outside.compile()
                cases["built_outside_scope"] = None
            except ValueError as error:
                cases["built_outside_scope"] = str(error)
    return cases


def main():
    backend = os.environ["KERAS_BACKEND"]
    split_cpu(backend)

    import contextlib

    import keras

    import keras_logogan
    from keras_logogan.datasets import load_icons

    images = load_icons(image_size=IMAGE_SIZE)[:NUM_IMAGES]
    gan_class = observed_gan_class()
    _, single_steps, single_evaluation = train(gan_class, images, contextlib.nullcontext())
    single_batch_sizes = list(gan_class.replica_batch_sizes)
    gan_class.replica_batch_sizes.clear()

    scope = keras_logogan.data_parallel()
    gan, steps, evaluation = train(gan_class, images, scope)
    report = {
        "backend": keras.config.backend(),
        "num_replicas": scope.num_replicas,
        "single_device_steps": single_steps,
        "data_parallel_steps": steps,
        "single_device_evaluation": single_evaluation,
        "data_parallel_evaluation": evaluation,
        "errors": error_messages(gan_class, images),
    }
    if backend == "jax":
        report["single_device_batch_sizes"] = single_batch_sizes
        report["replica_batch_sizes"] = list(gan_class.replica_batch_sizes)
        report["weight_sharding_specs"] = sorted(
            {str(v.value.sharding.spec) for v in gan.trainable_variables}
        )
        report["weight_num_devices"] = sorted(
            {len(v.value.sharding.device_set) for v in gan.trainable_variables}
        )
    else:
        report["single_device_batch_sizes"] = [s["replica_batch_size"] for s in single_steps]
        report["replica_batch_sizes"] = [s["replica_batch_size"] for s in steps]
        report["replica_spread"] = replica_spread(gan, scope.distribution)
        report["weight_num_devices"] = sorted(
            {
                len(scope.distribution.experimental_local_results(v.value))
                for v in gan.trainable_variables
            }
        )
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
