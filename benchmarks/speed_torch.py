"""The `pytorch_loop` of `speed.py`: LogoGAN's default DCGAN pair and its step, written in plain PyTorch.

The networks repeat the layer shapes of `dcgan_generator` and
`dcgan_discriminator` at their defaults (32 px, width 32, latent size 128).
The generator is a bias-free dense layer to a 4x4x128 map with batch
normalisation and ReLU, then 4x4 stride-2 transposed convolutions up to
32x32x3 with `tanh`. The discriminator is 4x4 stride-2 convolutions with
LeakyReLU(0.2), batch normalisation after all but the first, and a dense
logit. Layouts are
PyTorch's own (channels first). Batch normalisation uses Keras' defaults
(epsilon 1e-3, moving-average momentum 0.99, which is PyTorch momentum
0.01), and Adam uses LogoGAN's (learning rate 2e-4, beta_1 0.5, beta_2
0.999, epsilon 1e-7).

The step is LogoGAN's: a discriminator update on a real batch and a batch
generated without gradients, then a generator update on fresh latents with
the discriminator's weights frozen. Both use binary cross-entropy on logits.
"""

import math
import time

import torch
from torch import nn
from torch.nn import functional

import speed_flops
import speed_loops

BASE_SIZE = 4
BATCH_NORM_EPSILON = 1e-3
BATCH_NORM_MOMENTUM = 0.01
LEARNING_RATE = 2e-4
ADAM_BETAS = (0.5, 0.999)
ADAM_EPSILON = 1e-7


def build_generator(image_size=32, channels=3, latent_dim=128, width=32, max_width=512):
    """Return the PyTorch twin of `dcgan_generator`, mapping `(batch, latent_dim)` to `(batch, channels, size, size)`."""
    levels = int(math.log2(image_size // BASE_SIZE))
    filters = [min(width * 2 ** (levels - 1 - level), max_width) for level in range(levels)]

    modules = [
        nn.Linear(latent_dim, BASE_SIZE * BASE_SIZE * filters[0], bias=False),
        nn.BatchNorm1d(
            BASE_SIZE * BASE_SIZE * filters[0], eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM
        ),
        nn.ReLU(),
        nn.Unflatten(1, (filters[0], BASE_SIZE, BASE_SIZE)),
    ]
    for level in range(1, levels):
        modules += [
            nn.ConvTranspose2d(
                filters[level - 1], filters[level], 4, stride=2, padding=1, bias=False
            ),
            nn.BatchNorm2d(filters[level], eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM),
            nn.ReLU(),
        ]
    modules += [nn.ConvTranspose2d(filters[-1], channels, 4, stride=2, padding=1), nn.Tanh()]
    return nn.Sequential(*modules)


def build_discriminator(image_size=32, channels=3, width=32, max_width=512):
    """Return the PyTorch twin of `dcgan_discriminator` with batch normalisation, one logit per image."""
    levels = int(math.log2(image_size // BASE_SIZE))
    modules = []
    in_channels = channels
    for level in range(levels):
        filters = min(width * 2**level, max_width)
        # A 4x4 kernel, stride 2 and padding 1 halve the size, as Keras' "same" padding does.
        modules.append(nn.Conv2d(in_channels, filters, 4, stride=2, padding=1))
        if level:
            modules.append(
                nn.BatchNorm2d(filters, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM)
            )
        modules.append(nn.LeakyReLU(0.2))
        in_channels = filters
    modules += [nn.Flatten(), nn.Linear(in_channels * BASE_SIZE * BASE_SIZE, 1)]
    return nn.Sequential(*modules)


def describe_torch_network(network, example_input):
    """Return the parameter counts and the forward MACs per image of a PyTorch network.

    Non-trainable parameters are the batch normalisation buffers except
    `num_batches_tracked`, which Keras does not keep.
    """
    layers = []

    def record(module, inputs, output):
        input_sizes, output_sizes = inputs[0].shape[-2:], output.shape[-2:]
        if isinstance(module, nn.ConvTranspose2d):
            strided_sizes, full_sizes, kind = input_sizes, output_sizes, "conv_transpose"
        elif isinstance(module, nn.Conv2d):
            strided_sizes, full_sizes, kind = output_sizes, input_sizes, "conv"
        else:
            layers.append(
                {"layer": type(module).__name__, "kind": "dense", "macs": module.weight.numel()}
            )
            return
        channel_product = module.weight.shape[0] * module.weight.shape[1]
        macs = speed_flops.conv_macs(
            strided_sizes,
            full_sizes,
            module.kernel_size,
            module.stride,
            module.padding,
            channel_product,
        )
        layers.append({"layer": type(module).__name__, "kind": kind, "macs": int(macs)})

    hooks = [
        module.register_forward_hook(record)
        for module in network.modules()
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))
    ]
    was_training = network.training
    network.eval()
    with torch.no_grad():
        network(example_input[:1])
    network.train(was_training)
    for hook in hooks:
        hook.remove()

    buffers = [b for name, b in network.named_buffers() if not name.endswith("num_batches_tracked")]
    return {
        "trainable_parameters": sum(p.numel() for p in network.parameters() if p.requires_grad),
        "non_trainable_parameters": sum(b.numel() for b in buffers),
        "forward_macs": sum(item["macs"] for item in layers),
        "first_layer_macs": layers[0]["macs"],
        "layers": layers,
        "uncounted_layers": [],
    }


def keras_twin_descriptions():
    """Return `describe_keras_network` of LogoGAN's default generator and discriminator."""
    from keras_logogan.architectures import dcgan_discriminator
    from keras_logogan.architectures import dcgan_generator

    return {
        "generator": speed_flops.describe_keras_network(dcgan_generator()),
        "discriminator": speed_flops.describe_keras_network(dcgan_discriminator()),
    }


def shuffled_batches(num_images, batch_size, generator):
    """Yield index batches forever, each pass over the images in a new random order."""
    while True:
        order = torch.randperm(num_images, generator=generator)
        for start in range(0, num_images - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


def make_train_step(generator, discriminator, latent_dim):
    """Return a function that runs one discriminator update and one generator update on a real batch."""
    g_optimizer = torch.optim.Adam(
        generator.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON
    )
    d_optimizer = torch.optim.Adam(
        discriminator.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON
    )

    def train_step(real):
        batch_size = real.shape[0]
        ones = torch.ones(batch_size, 1)
        zeros = torch.zeros(batch_size, 1)

        with torch.no_grad():
            fake = generator(torch.randn(batch_size, latent_dim))
        real_logits = discriminator(real)
        fake_logits = discriminator(fake)
        d_loss = functional.binary_cross_entropy_with_logits(
            real_logits, ones
        ) + functional.binary_cross_entropy_with_logits(fake_logits, zeros)
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()

        discriminator.requires_grad_(False)
        fake_logits = discriminator(generator(torch.randn(batch_size, latent_dim)))
        g_loss = functional.binary_cross_entropy_with_logits(fake_logits, ones)
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        g_optimizer.step()
        discriminator.requires_grad_(True)
        return d_loss.detach(), g_loss.detach()

    return train_step


def run_pytorch_loop(settings):
    """Time `pytorch_loop` epochs and return its worker result."""
    torch.manual_seed(settings["seed"])
    started = time.perf_counter()
    images = speed_loops.load_training_images(settings["batch_size"])
    # Kept in memory as float32 in [-1, 1], channels first, as a plain
    # PyTorch script would hold a small data set.
    real_images = (
        torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous()
    )
    latent_dim = 128
    generator, discriminator = build_generator(latent_dim=latent_dim), build_discriminator()
    generator.train()
    discriminator.train()
    train_step = make_train_step(generator, discriminator, latent_dim)
    batches = shuffled_batches(
        len(real_images), settings["batch_size"], torch.Generator().manual_seed(settings["seed"])
    )
    setup_seconds = time.perf_counter() - started

    def run_epoch():
        for _ in range(settings["steps"]):
            losses = train_step(real_images[next(batches)])
        return [float(value) for value in losses]

    records = speed_loops.time_epochs(run_epoch, settings)
    networks = {
        "generator": describe_torch_network(generator, torch.randn(2, latent_dim)),
        "discriminator": describe_torch_network(discriminator, real_images[:2]),
    }
    keras_networks = keras_twin_descriptions()
    result = speed_loops.loop_result("pytorch_loop", "torch", records, settings, setup_seconds)
    result["networks"] = networks
    result["keras_networks"] = keras_networks
    result["parameters_match_keras"] = all(
        networks[name][count] == keras_networks[name][count]
        for name in networks
        for count in ("trainable_parameters", "non_trainable_parameters")
    )
    result["forward_macs_match_keras"] = all(
        networks[name]["forward_macs"] == keras_networks[name]["forward_macs"] for name in networks
    )
    result["torch_threads"] = torch.get_num_threads()
    return result
