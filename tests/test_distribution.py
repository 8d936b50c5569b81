"""Tests of data-parallel training with `keras_logogan.data_parallel`.

The training tests share one run of tests/data_parallel_run.py in a
subprocess, because the CPU must be split into 4 devices before JAX or
TensorFlow starts. That run trains the default DCGAN pair (BatchNormalization
in both networks) with translation and adaptive augmentation for 6 steps,
once on one device and once data-parallel on 4 devices, from the same seeds
and images. Keras 3 has no data-parallel training for PyTorch, so under the
torch backend only the tests of its error run.
"""

import json
import os
import subprocess
import sys

import keras
import pytest

from keras_logogan import distribution

RUN_SCRIPT = os.path.join(os.path.dirname(__file__), "data_parallel_run.py")
NUM_DEVICES = 4
PER_DEVICE_BATCH = 8
# Largest accepted difference between a one-device and a data-parallel log
# value. TensorFlow sums the replicas' gradients and BatchNormalization's
# statistics in another order than one device does, so float32 rounding
# differs. Measured with data_parallel_run.py on a 2-core CPU: at most 6e-7
# in the training logs and 0 in `evaluate` with TensorFlow 2.21, and no
# difference with JAX 0.10. A discriminator accuracy that changes by one
# image of 32 moves by 0.03, far above this tolerance.
LOG_TOLERANCE = 1e-4

needs_data_parallel_backend = pytest.mark.skipif(
    keras.config.backend() not in distribution.DATA_PARALLEL_BACKENDS,
    reason="Keras 3 has no data-parallel training on the torch backend; "
    "LogoGAN trains on one device there",
)


@pytest.fixture(scope="module")
def report():
    """Return the JSON report of one data_parallel_run.py subprocess on this backend."""
    backend = keras.config.backend()
    if backend not in distribution.DATA_PARALLEL_BACKENDS:
        pytest.skip(
            "Keras 3 has no data-parallel training on the torch backend; "
            "LogoGAN trains on one device there"
        )
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run(
        [sys.executable, RUN_SCRIPT],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_run_uses_four_devices(report):
    assert report["backend"] == keras.config.backend()
    assert report["num_replicas"] == NUM_DEVICES


def test_global_batch_split_across_devices(report):
    global_batch = NUM_DEVICES * PER_DEVICE_BATCH
    assert set(report["single_device_batch_sizes"]) == {global_batch}
    assert set(report["replica_batch_sizes"]) == {PER_DEVICE_BATCH}


def test_weights_copied_to_every_device(report):
    assert report["weight_num_devices"] == [NUM_DEVICES]
    if keras.config.backend() == "jax":
        # Replicated arrays have no sharded axis in their partition spec.
        assert all("batch" not in spec for spec in report["weight_sharding_specs"])


def test_training_logs_match_one_device(report):
    single_steps = report["single_device_steps"]
    parallel_steps = report["data_parallel_steps"]
    assert len(parallel_steps) == len(single_steps) == 6
    for step, (single, parallel) in enumerate(zip(single_steps, parallel_steps)):
        for name in ("d_loss", "g_loss", "real_accuracy", "fake_accuracy", "augment_probability"):
            assert parallel[name] == pytest.approx(single[name], abs=LOG_TOLERANCE), (step, name)


def test_adaptive_augmentation_moved(report):
    # The comparison above covers ADA only if its strength left 0.
    assert max(step["augment_probability"] for step in report["single_device_steps"]) > 0


def test_evaluation_matches_one_device(report):
    single = report["single_device_evaluation"]
    parallel = report["data_parallel_evaluation"]
    for name in ("d_loss", "g_loss", "real_accuracy", "fake_accuracy"):
        assert parallel[name] == pytest.approx(single[name], abs=LOG_TOLERANCE), name


def test_replica_state_stays_equal(report):
    if keras.config.backend() != "tensorflow":
        pytest.skip("JAX keeps one global array per variable, with no per-replica copies")
    spreads = report["replica_spread"]
    for kind in (
        "seed_state",
        "augment_probability",
        "batch_norm_statistics",
        "averaged_generator",
        "weights",
    ):
        assert spreads[kind] == 0.0, kind


def test_indivisible_batch_size_rejected(report):
    message = report["errors"]["batch_size"]
    assert "multiple of the 4 devices" in message
    assert "batch_size=28 or 32" in message


def test_uneven_float_last_batch_rejected(report):
    message = report["errors"]["float_last_batch"]
    assert "last batch of each epoch would have 30 of the 62 images" in message
    assert "Pass 60 images" in message


def test_model_outside_strategy_scope_rejected(report):
    if keras.config.backend() != "tensorflow":
        pytest.skip("only tf.distribute strategies have a scope that variables must be created in")
    message = report["errors"]["built_outside_scope"]
    assert "outside the current MirroredStrategy scope" in message
    assert "LogoGAN 'logo_gan'" in message


def test_data_parallel_rejects_torch():
    if keras.config.backend() != "torch":
        pytest.skip("the torch backend alone has no data-parallel training")
    with pytest.raises(RuntimeError, match="jax or tensorflow backend"):
        distribution.data_parallel()


@needs_data_parallel_backend
def test_data_parallel_rejects_empty_devices():
    with pytest.raises(ValueError, match="at least one device"):
        distribution.data_parallel(devices=[])


def test_num_replicas_one_without_setup():
    assert distribution.num_replicas() == 1


@pytest.mark.parametrize("batch_size", [4, 32, 64])
def test_check_batch_size_accepts_multiples(batch_size):
    distribution.check_batch_size(batch_size, replicas=4)


@pytest.mark.parametrize(
    ("batch_size", "suggestion"), [(30, "batch_size=28 or 32"), (3, "batch_size=4 or 8")]
)
def test_check_batch_size_suggests_multiples(batch_size, suggestion):
    with pytest.raises(ValueError, match=suggestion):
        distribution.check_batch_size(batch_size, replicas=4)
