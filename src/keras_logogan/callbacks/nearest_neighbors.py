"""Image vectors and chunked nearest-neighbour search, shared by the monitoring callbacks.

Distances are Euclidean (L2) between images flattened to vectors with pixel
values in [0, 1], computed in NumPy so every backend gets the same numbers.
"""

import numpy as np

# Rows of queries compared at once. A chunk needs `chunk_size * len(references)`
# float32 values: 256 * 5,484 training logos is about 5.6 MB.
DEFAULT_CHUNK_SIZE = 256


def to_unit_vectors(images):
    """Flatten images to float32 rows `(N, H * W * C)` with values in [0, 1].

    Args:
        images: uint8 array in [0, 255], or a float array in [-1, 1] such as
            `LogoGAN.generate(..., dtype="float32")` returns.

    Returns:
        A float32 array of shape `(N, H * W * C)`.
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        vectors = images.astype(np.float32) / 255.0
    elif np.issubdtype(images.dtype, np.floating):
        vectors = np.clip((images.astype(np.float32) + 1.0) / 2.0, 0.0, 1.0)
    else:
        raise ValueError(
            "Images must be uint8 in [0, 255] or float in [-1, 1]. "
            f"Received: dtype={images.dtype}"
        )
    return vectors.reshape(len(vectors), -1)


def to_model_input(images):
    """Return images as float32 in [-1, 1], the range the discriminator reads."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 127.5 - 1.0
    return images.astype(np.float32)


def pairwise_distances(queries, references):
    """Return the `(len(queries), len(references))` matrix of L2 distances.

    Uses `|q|^2 + |r|^2 - 2 q.r`, so in float32 two identical 32 px images
    can be up to about 0.01 apart, not exactly 0.
    """
    squared = (
        np.sum(queries * queries, axis=1)[:, None]
        + np.sum(references * references, axis=1)[None, :]
        - 2.0 * queries @ references.T
    )
    return np.sqrt(np.maximum(squared, 0.0))


def nearest_neighbors(queries, references, chunk_size=DEFAULT_CHUNK_SIZE, exclude_self=False):
    """Find each query's nearest reference vector.

    Args:
        queries: float array `(N, D)`, e.g. from `to_unit_vectors`.
        references: float array `(M, D)`.
        chunk_size: int, default 256. Queries compared at once, which bounds
            memory at `chunk_size * M` float32 values.
        exclude_self: bool, default False. When True, `queries` and
            `references` must be the same array, and each row's own entry is
            skipped, so the result is the distance to its nearest other row.

    Returns:
        A tuple `(distances, indices)` of arrays of shape `(N,)`: the L2
        distance to the nearest reference and that reference's row index.
    """
    if exclude_self and len(queries) != len(references):
        raise ValueError(
            "`exclude_self=True` needs the same array as queries and references. "
            f"Received: {len(queries)} queries and {len(references)} references."
        )
    if exclude_self and len(references) < 2:
        raise ValueError(
            "`exclude_self=True` needs at least 2 rows. "
            f"Received: {len(references)} rows."
        )
    distances = np.empty(len(queries), dtype=np.float32)
    indices = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), chunk_size):
        chunk = pairwise_distances(queries[start : start + chunk_size], references)
        if exclude_self:
            rows = np.arange(len(chunk))
            chunk[rows, start + rows] = np.inf
        indices[start : start + len(chunk)] = np.argmin(chunk, axis=1)
        distances[start : start + len(chunk)] = np.min(chunk, axis=1)
    return distances, indices
