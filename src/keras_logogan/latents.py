"""Latent vectors: the truncation trick and spherical interpolation.

Both work on NumPy float32 arrays, so one seed gives the same latents on
every Keras backend.
"""

import math

import numpy as np


def check_truncation(truncation):
    """Return `truncation` as a float, or raise `ValueError` unless it is a positive finite number."""
    try:
        value = float(truncation)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"`truncation` must be a positive number, e.g. 0.7. Received: truncation={truncation!r}"
        )
    return value


def truncated_normal_latents(num_images, latent_dim, truncation, seed=None):
    """Return `(num_images, latent_dim)` float32 standard-normal latents with every |z| <= `truncation`.

    This is the truncation trick: components whose magnitude exceeds
    `truncation` are drawn again until none does. Smaller values give more
    typical, less varied images. The first draw is the one
    `LogoGAN.sample_latents(num_images, seed)` returns, so components
    already inside the bound keep their values.

    Each component takes 1/p draws on average, for p = P(|z| <= truncation):
    about 1.9 at 0.7 and 12.6 at 0.1, so very small values are slow.

    Examples:
        >>> latents = truncated_normal_latents(4, 8, 0.5, seed=0)
        >>> bool((abs(latents) <= 0.5).all())
        True
    """
    truncation = check_truncation(truncation)
    rng = np.random.default_rng(seed)
    latents = rng.standard_normal((num_images, latent_dim), dtype=np.float32)
    outside = np.abs(latents) > truncation
    while outside.any():
        latents[outside] = rng.standard_normal(int(outside.sum()), dtype=np.float32)
        outside = np.abs(latents) > truncation
    return latents


def slerp(start, end, steps):
    """Return `steps` latents along the great circle from `start` to `end`, both included.

    Spherical interpolation keeps the intermediate latents at norms typical
    of Gaussian samples, where linear interpolation passes through
    low-norm points the generator rarely saw in training. When the two
    latents are (anti)parallel, the arc is undefined and this falls back to
    linear interpolation.

    Args:
        start: float array `(latent_dim,)`.
        end: float array `(latent_dim,)`.
        steps: int, at least 2.

    Returns:
        A float32 array `(steps, latent_dim)`.

    Examples:
        >>> path = slerp(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 3)
        >>> np.round(path.astype(float), 3).tolist()
        [[1.0, 0.0], [0.707, 0.707], [0.0, 1.0]]
    """
    start = np.asarray(start, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    fractions = np.linspace(0.0, 1.0, steps)[:, np.newaxis]

    cosine = np.dot(start, end) / (np.linalg.norm(start) * np.linalg.norm(end))
    angle = np.arccos(np.clip(cosine, -1.0, 1.0))
    sine = np.sin(angle)
    if sine < 1e-6:
        path = (1.0 - fractions) * start + fractions * end
    else:
        path = (np.sin((1.0 - fractions) * angle) * start + np.sin(fractions * angle) * end) / sine
    return path.astype(np.float32)
