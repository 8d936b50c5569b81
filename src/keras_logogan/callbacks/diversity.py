"""Diversity measures of an image sample: mean pairwise distance and duplicate rate.

A collapsing generator draws its samples closer together, so both measures
are compared with the same measure on a real sample of the same size.
Duplicates follow the birthday-paradox test of Arora and Zhang (2017): count
samples with a near-twin in the sample. "Near" is calibrated on real images,
because logo sets contain genuine duplicates.
"""

import numpy as np

from keras_logogan.callbacks.nearest_neighbors import nearest_neighbors
from keras_logogan.callbacks.nearest_neighbors import pairwise_distances


def mean_pairwise_distance(vectors):
    """Return the mean L2 distance over all pairs of distinct rows of `vectors`."""
    if len(vectors) < 2:
        raise ValueError(f"Diversity needs at least 2 samples. Received: {len(vectors)}.")
    distances = pairwise_distances(vectors, vectors)
    upper = np.triu_indices(len(vectors), k=1)
    return float(np.mean(distances[upper]))


def duplicate_threshold(real_vectors, percentile):
    """Return the `percentile`-th percentile of real nearest-neighbour distances.

    Each real row's distance to its nearest other row is measured within
    `real_vectors`, so the result depends on the sample size: calibrate on
    as many real images as there will be generated ones.
    """
    distances, _ = nearest_neighbors(real_vectors, real_vectors, exclude_self=True)
    return float(np.percentile(distances, percentile))


def duplicate_rate(vectors, threshold):
    """Return the share of rows whose nearest other row is at most `threshold` away."""
    distances, _ = nearest_neighbors(vectors, vectors, exclude_self=True)
    return float(np.mean(distances <= threshold))
