"""Differentiable augmentation of real and generated images for the discriminator.

`DiffAugment` draws random parameters with `draw` and applies them with the
pure function `apply`, so every backend's training step can draw up front and
then transform. `get` builds one from a policy string, a config dict or None.

Examples:
    >>> from keras_logogan import augmentation
    >>> augmentation.get("translation,cutout")
    DiffAugment(translation=0.125, cutout=0.5, color=False, flip=False, fill_value=1.0)
    >>> augmentation.get("none") is None
    True
"""

import keras

from keras_logogan.augmentation.diff_augment import DiffAugment

__all__ = ["POLICY_NAMES", "DiffAugment", "get"]

# Names allowed in a policy string, each enabling that transform of `DiffAugment`.
POLICY_NAMES = ("translation", "cutout", "color", "flip")

_DEFAULTS = DiffAugment()


def _from_policy(policy):
    """Return a `DiffAugment` with only the transforms named in `policy`, or None for "none"."""
    names = [name.strip().lower() for name in policy.split(",")]
    if names == ["none"]:
        return None
    unknown = [name for name in names if name not in POLICY_NAMES]
    if unknown:
        raise ValueError(
            f"Invalid augmentation policy {policy!r}: unknown name(s) {unknown}. Use "
            f"comma-separated names from {list(POLICY_NAMES)}, e.g. 'translation,cutout', "
            "or 'none'."
        )
    return DiffAugment(
        translation=_DEFAULTS.translation if "translation" in names else 0.0,
        cutout=_DEFAULTS.cutout if "cutout" in names else 0.0,
        color="color" in names,
        flip="flip" in names,
    )


def get(identifier):
    """Return a `DiffAugment`, or None for no augmentation.

    Args:
        identifier: one of

            - None or `"none"`: no augmentation, returns None.
            - a policy string of comma-separated names from `POLICY_NAMES`,
              such as `"translation,cutout"` or `"translation,cutout,color"`.
              Named transforms get their default strength (translation
              0.125, cutout 0.5), and the others are off.
            - a `DiffAugment`, returned as is.
            - a dict, either `DiffAugment.get_config()` or the output of
              `keras.saving.serialize_keras_object`.

    Raises:
        ValueError: for an unknown policy name, a dict that does not describe
            a `DiffAugment`, or a value of another type.

    Examples:
        >>> augment = get("translation,flip")
        >>> augment
        DiffAugment(translation=0.125, cutout=0.0, color=False, flip=True, fill_value=1.0)
        >>> get(augment.get_config()).get_config() == augment.get_config()
        True
        >>> get(None) is None
        True
        >>> get("blur")
        Traceback (most recent call last):
        ...
        ValueError: Invalid augmentation policy 'blur': unknown name(s) ['blur']. ...
    """
    if identifier is None or isinstance(identifier, DiffAugment):
        return identifier
    if isinstance(identifier, str):
        return _from_policy(identifier)
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            try:
                augment = keras.saving.deserialize_keras_object(identifier)
            except TypeError as error:
                raise ValueError(
                    f"Invalid augmentation config dict: it does not describe a DiffAugment. "
                    f"Deserializing it failed with: {error}"
                ) from error
            if not isinstance(augment, DiffAugment):
                raise ValueError(
                    "The config dict does not describe a DiffAugment. "
                    f"Received: class_name={identifier['class_name']!r}"
                )
            return augment
        try:
            return DiffAugment.from_config(identifier)
        except TypeError as error:
            raise ValueError(
                f"Invalid DiffAugment config {identifier!r}: {error}. Valid keys are "
                f"{sorted(_DEFAULTS.get_config())}."
            ) from error
    raise ValueError(
        "Invalid augmentation: expected None, a policy string such as "
        f"'translation,cutout' (names from {list(POLICY_NAMES)}, or 'none'), "
        f"a DiffAugment or a config dict. Received: {identifier!r}"
    )
