"""Adversarial losses as serializable objects.

Each loss turns discriminator logits into a discriminator loss and a generator
loss. The training step calls them the same way on every backend, so a loss
holds only `keras.ops` arithmetic and its settings.
"""

import keras
from keras import ops

_PACKAGE = "keras_logogan"


class GANLoss:
    """Base class of the adversarial losses.

    Subclasses implement `discriminator_loss` and `generator_loss`. A loss that
    needs a gradient penalty sets `gradient_penalty_weight > 0`; the training
    step then adds `weight * mean((||grad D(x_hat)|| - 1) ** 2)` on random
    interpolates `x_hat` between real and generated images.

    Attributes:
        decision_threshold: logits above this value count as "real" when the
            discriminator's accuracy is measured.
        gradient_penalty_weight: weight of the interpolate gradient penalty,
            0 for none.
    """

    name = "gan_loss"
    decision_threshold = 0.0
    gradient_penalty_weight = 0.0

    def discriminator_loss(self, real_logits, fake_logits):
        """Return the scalar discriminator loss."""
        raise NotImplementedError

    def generator_loss(self, fake_logits):
        """Return the scalar generator loss."""
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class NonSaturatingLoss(GANLoss):
    """Binary cross-entropy on logits with the non-saturating generator loss.

    The discriminator minimises `softplus(-D(x)) + softplus(D(G(z)))` and the
    generator minimises `softplus(-D(G(z)))` (Goodfellow et al. 2014). This is
    the loss of the TensorFlow DCGAN tutorial.

    Args:
        label_smoothing: float, default 0. Real targets become
            `1 - label_smoothing` (one-sided label smoothing).

    Examples:
        >>> loss = NonSaturatingLoss(label_smoothing=0.1)
        >>> float(loss.generator_loss(keras.ops.zeros((4, 1))))  # log(2)
        0.6931...
    """

    name = "non_saturating"

    def __init__(self, label_smoothing=0.0):
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                "`label_smoothing` must be in [0, 1). "
                f"Received: label_smoothing={label_smoothing}"
            )
        self.label_smoothing = float(label_smoothing)

    def discriminator_loss(self, real_logits, fake_logits):
        real_target = 1.0 - self.label_smoothing
        real_term = real_target * ops.softplus(-real_logits) + (
            1.0 - real_target
        ) * ops.softplus(real_logits)
        return ops.mean(real_term) + ops.mean(ops.softplus(fake_logits))

    def generator_loss(self, fake_logits):
        return ops.mean(ops.softplus(-fake_logits))

    def get_config(self):
        return {"label_smoothing": self.label_smoothing}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class HingeLoss(GANLoss):
    """Hinge loss (Lim and Ye 2017; used by SNGAN and BigGAN).

    The discriminator minimises `relu(1 - D(x)) + relu(1 + D(G(z)))` and the
    generator minimises `-D(G(z))`.
    """

    name = "hinge"

    def discriminator_loss(self, real_logits, fake_logits):
        return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(
            ops.relu(1.0 + fake_logits)
        )

    def generator_loss(self, fake_logits):
        return -ops.mean(fake_logits)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class LeastSquaresLoss(GANLoss):
    """Least-squares loss (LSGAN, Mao et al. 2017) with targets 0 and 1.

    The discriminator minimises `(D(x) - 1)^2 + D(G(z))^2` and the generator
    minimises `(D(G(z)) - 1)^2`, each halved. Its decision threshold is 0.5,
    halfway between the two targets.
    """

    name = "least_squares"
    decision_threshold = 0.5

    def discriminator_loss(self, real_logits, fake_logits):
        return 0.5 * (
            ops.mean(ops.square(real_logits - 1.0))
            + ops.mean(ops.square(fake_logits))
        )

    def generator_loss(self, fake_logits):
        return 0.5 * ops.mean(ops.square(fake_logits - 1.0))


@keras.saving.register_keras_serializable(package=_PACKAGE)
class WassersteinGPLoss(GANLoss):
    """Wasserstein loss with a gradient penalty (WGAN-GP, Gulrajani et al. 2017).

    The critic minimises `D(G(z)) - D(x) + weight * (||grad D(x_hat)|| - 1)^2`
    and the generator minimises `-D(G(z))`. A small drift term
    `drift * D(x)^2` keeps the critic's output near 0 (Karras et al. 2018).

    NOTE: the penalty is taken per sample, so the critic must not mix samples
    within a batch: build it with `normalization="layer"` or `"none"`, not
    batch normalisation.

    Args:
        gradient_penalty_weight: float, default 10.
        drift: float, default 0.001.
    """

    name = "wasserstein_gp"

    def __init__(self, gradient_penalty_weight=10.0, drift=0.001):
        if gradient_penalty_weight <= 0:
            raise ValueError(
                "`gradient_penalty_weight` must be positive for WGAN-GP. "
                f"Received: gradient_penalty_weight={gradient_penalty_weight}"
            )
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.drift = float(drift)

    def discriminator_loss(self, real_logits, fake_logits):
        wasserstein = ops.mean(fake_logits) - ops.mean(real_logits)
        return wasserstein + self.drift * ops.mean(ops.square(real_logits))

    def generator_loss(self, fake_logits):
        return -ops.mean(fake_logits)

    def get_config(self):
        return {
            "gradient_penalty_weight": self.gradient_penalty_weight,
            "drift": self.drift,
        }


LOSSES = {
    cls.name: cls
    for cls in (NonSaturatingLoss, HingeLoss, LeastSquaresLoss, WassersteinGPLoss)
}


def get(identifier):
    """Return a `GANLoss` from a loss name, a config dict or an instance.

    Args:
        identifier: one of the names in `LOSSES` (`"non_saturating"`,
            `"hinge"`, `"least_squares"`, `"wasserstein_gp"`), a dict made by
            `keras.saving.serialize_keras_object`, or a `GANLoss`.

    Returns:
        A `GANLoss` instance.

    Raises:
        ValueError: for an unknown name or another type of value.
    """
    if isinstance(identifier, GANLoss):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower().replace("-", "_")
        if key in LOSSES:
            return LOSSES[key]()
    if isinstance(identifier, dict):
        loss = keras.saving.deserialize_keras_object(identifier)
        if isinstance(loss, GANLoss):
            return loss
    raise ValueError(
        f"Unknown GAN loss. Received: loss={identifier!r}. Pass one of "
        f"{sorted(LOSSES)} or a `keras_logogan.losses.GANLoss` instance."
    )
