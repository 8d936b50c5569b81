"""Augmentation settings of a training step, and the adaptive strength rule (ADA).

The strength `p` is the probability with which each enabled augmentation is
applied to each image. With a fixed strength it stays where `compile` set it.
With an `ada_target`, every training step moves it by

    p <- clip(p + sign(r_t - ada_target) * batch_size / (ada_kimg * 1000), 0, 1)

where `r_t = mean(sign(D(augmented real) - threshold))` on the step's real
batch. A discriminator that is sure about every real image (`r_t` near 1) is
overfitting, so `p` rises; at the target it settles. This is the rule of
Karras et al. 2020, "Training Generative Adversarial Networks with Limited
Data", applied every step instead of every fourth, and clamped at 1 as well
as at 0. With `ada_kimg=100`, `p` can move from 0 to 1 within 100,000 images.
"""

from keras import ops


def check_settings(augmentation, augment_probability, ada_target, ada_kimg):
    """Raise a ValueError naming the first invalid augmentation setting."""
    if not 0.0 <= augment_probability <= 1.0:
        raise ValueError(
            "`augment_probability` must be in [0, 1]. "
            f"Received: augment_probability={augment_probability!r}"
        )
    if ada_target is not None:
        if augmentation is None:
            raise ValueError(
                "`ada_target` adapts the augmentation strength, so it needs an "
                "`augmentation`, e.g. `augmentation='translation,cutout'`. "
                f"Received: ada_target={ada_target!r}, augmentation=None"
            )
        if not 0.0 < ada_target < 1.0:
            raise ValueError(
                "`ada_target` must be in (0, 1); 0.6 is the usual value. "
                f"Received: ada_target={ada_target!r}"
            )
    if not ada_kimg > 0:
        raise ValueError(f"`ada_kimg` must be positive. Received: ada_kimg={ada_kimg!r}")


def overfitting_signs(loss, real_logits):
    """Return the sign of each real logit around the loss' decision threshold."""
    return ops.sign(real_logits - loss.decision_threshold)


def overfitting_signal(loss, real_logits):
    """Return `r_t`, the mean sign of the real logits around the loss' decision threshold."""
    return ops.mean(overfitting_signs(loss, real_logits))


def adjusted_probability(gan, probability, real_logits, batch_size):
    """Return the augmentation strength after one step of the ADA rule.

    Returns `probability` unchanged when the GAN has no `ada_target`.
    """
    if gan.ada_target is None:
        return probability
    r_t = overfitting_signal(gan.loss, ops.stop_gradient(real_logits))
    return moved_probability(gan, probability, r_t, batch_size)


def moved_probability(gan, probability, r_t, batch_size):
    """Return the augmentation strength after one ADA step.

    `r_t` is the overfitting signal measured on `batch_size` real images.
    """
    step = ops.cast(batch_size, "float32") / (gan.ada_kimg * 1000.0)
    moved = probability + ops.sign(r_t - gan.ada_target) * step
    return ops.clip(moved, 0.0, 1.0)
