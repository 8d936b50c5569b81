"""`SampleGridSaver`: grids per epoch, a reused latent bank, and TensorBoard images."""

import glob
import io

import numpy as np
import pytest
from PIL import Image

from keras_logogan.callbacks import SampleGridSaver

TILE = 16
PADDING = 2


def _grid_side(columns, scale=1):
    return scale * (columns * (TILE + PADDING) + PADDING)


def test_grids_follow_every_epochs(make_gan, logo_images, tmp_path):
    gan = make_gan()
    saver = SampleGridSaver(tmp_path, num_images=4, every_epochs=2, scale=1)

    gan.fit(logo_images[:16], batch_size=16, epochs=4, verbose=0, callbacks=[saver])

    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["epoch_0002.png", "epoch_0004.png", "latents.npy"]
    with Image.open(tmp_path / "epoch_0004.png") as picture:
        assert picture.size == (_grid_side(2), _grid_side(2))


def test_latent_bank_is_reused_by_a_second_fit(make_gan, logo_images, tmp_path):
    gan = make_gan()
    first = SampleGridSaver(tmp_path, num_images=4, seed=1)
    gan.fit(logo_images[:16], batch_size=16, epochs=1, verbose=0, callbacks=[first])

    second = SampleGridSaver(tmp_path, num_images=4, seed=99)
    gan.fit(logo_images[:16], batch_size=16, epochs=1, verbose=0, callbacks=[second])

    np.testing.assert_array_equal(first.latents, second.latents)
    np.testing.assert_array_equal(np.load(tmp_path / "latents.npy"), first.latents)


def test_tensorboard_images_per_saved_epoch(make_gan, logo_images, tmp_path):
    tf = pytest.importorskip("tensorflow")
    gan = make_gan()
    saver = SampleGridSaver(tmp_path / "grids", num_images=4, scale=1, tensorboard_dir=tmp_path / "tb")

    gan.fit(logo_images[:16], batch_size=16, epochs=2, verbose=0, callbacks=[saver])

    (event_file,) = glob.glob(str(tmp_path / "tb" / "events.out.tfevents.*"))
    images = {}
    for record in tf.data.TFRecordDataset(event_file):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            if value.tag == "samples":
                images[event.step] = value.tensor.string_val[2]
    assert sorted(images) == [1, 2]
    with Image.open(io.BytesIO(images[2])) as picture:
        assert picture.size == (_grid_side(2), _grid_side(2))


@pytest.mark.parametrize("kwargs, message", [({"every_epochs": 0}, "every_epochs"), ({"num_images": 0}, "num_images")])
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SampleGridSaver(tmp_path, **kwargs)
