"""Seeded random subsets shared by the metrics."""

import numpy as np

from keras_logogan.metrics import _checks


def split_indices(num_real, num_images, seed):
    """Split `range(num_real)` at random into two disjoint subsets of `num_images` and the rest.

    Returns:
        A tuple `(first, second, rest)` of sorted int64 index arrays.

    Raises:
        ValueError: if `2 * num_images > num_real`.
    """
    _checks.check_positive_int("num_images", num_images)
    if 2 * num_images > num_real:
        raise ValueError(
            f"Two disjoint subsets of {num_images} images need {2 * num_images} real "
            f"images, but there are {num_real}. Pass num_images={num_real // 2} or less."
        )
    order = np.random.default_rng(seed).permutation(num_real)
    return (
        np.sort(order[:num_images]),
        np.sort(order[num_images : 2 * num_images]),
        np.sort(order[2 * num_images :]),
    )
