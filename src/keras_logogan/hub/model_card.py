"""The `README.md` model card that `save_pretrained` writes.

The card starts with the YAML metadata the Hugging Face Hub reads
(`library_name`, `tags`, `license`, `pipeline_tag`), then describes the
model, shows the sample grid and lists the training settings and metrics.
"""

import json

from keras_logogan.hub import files

DEFAULT_LICENSE = "apache-2.0"
PIPELINE_TAG = "unconditional-image-generation"
TAGS = ("keras-logogan", "keras", "gan", "logos", PIPELINE_TAG)


def training_settings(gan):
    """Return the compile settings and epoch count of `gan`, or {} if it was never compiled.

    The epoch count comes from the `History` that the last `fit()` left in
    `gan.history`. A model loaded from files has none.
    """
    settings = {}
    compile_config = gan.get_compile_config() if gan.compiled else None
    if compile_config:
        settings["loss"] = compile_config["loss"].get("class_name")
        settings["discriminator_steps"] = compile_config["discriminator_steps"]
        for role in ("generator_optimizer", "discriminator_optimizer"):
            optimizer = compile_config[role]
            optimizer_config = optimizer.get("config", {})
            settings[role] = optimizer.get("class_name")
            for key in ("learning_rate", "beta_1", "beta_2"):
                if isinstance(optimizer_config.get(key), (int, float)):
                    settings[f"{role}.{key}"] = optimizer_config[key]
        settings.update(_regularizer_settings(compile_config))
    if getattr(gan, "ema_decay", None):
        settings["ema_decay"] = gan.ema_decay
    params = getattr(getattr(gan, "history", None), "params", None) or {}
    if "epochs" in params:
        settings["epochs"] = params["epochs"]
    return settings


def _regularizer_settings(compile_config):
    """Return the augmentation, ADA and R1 settings of a compile config, leaving out those turned off."""
    settings = {}
    augmentation = compile_config.get("augmentation")
    if augmentation:
        transforms = {
            name: value
            for name, value in augmentation.get("config", {}).items()
            if name in ("translation", "cutout", "color", "flip") and value
        }
        described = ", ".join(f"{name} {value}" for name, value in transforms.items())
        settings["augmentation"] = f"{augmentation.get('class_name')} ({described})"
        if compile_config.get("ada_target") is not None:
            settings["ada_target"] = compile_config["ada_target"]
            settings["ada_kimg"] = compile_config.get("ada_kimg")
        else:
            settings["augment_probability"] = compile_config.get("augment_probability")
    if compile_config.get("r1_weight"):
        settings["r1_weight"] = compile_config["r1_weight"]
    return settings


def final_metrics(gan):
    """Return the last epoch's metrics from `gan.history`, or {} when there are none."""
    history = getattr(getattr(gan, "history", None), "history", None) or {}
    return {name: float(values[-1]) for name, values in history.items() if values}


def render_model_card(
    gan,
    *,
    repo_name,
    license=DEFAULT_LICENSE,
    description=None,
    training=None,
    metrics=None,
    has_sample_grid=True,
    include_discriminator=False,
):
    """Return the text of the model card of `gan`.

    Args:
        gan: the `LogoGAN` being saved.
        repo_name: str. Name shown in the title and the loading example,
            e.g. a Hub repository id or the folder name.
        license: str, default "apache-2.0". A Hub license identifier.
        description: optional str. A paragraph placed under the title.
        training: optional dict of training settings (data, epochs, ...).
        metrics: optional dict of final metric values.
        has_sample_grid: bool, default True. Whether to show the sample grid.
        include_discriminator: bool, default False. Whether the folder holds
            the discriminator's weights too.
    """
    from huggingface_hub import ModelCardData

    card_data = ModelCardData(
        library_name="keras",
        license=license,
        tags=list(TAGS),
        pipeline_tag=PIPELINE_TAG,
    )
    lines = [
        "---",
        card_data.to_yaml(),
        "---",
        "",
        f"# {repo_name}",
        "",
        description
        or (
            f"A keras-logogan `LogoGAN` that generates {gan.image_size}x{gan.image_size} "
            f"{'RGB' if gan.channels == 3 else 'grayscale'} logo images from "
            f"{gan.latent_dim}-dimensional standard-normal latents."
        ),
        "",
        "## Usage",
        "",
        "```python",
        "from keras_logogan import LogoGAN",
        "",
        f'gan = LogoGAN.from_pretrained("{repo_name}")',
        "images = gan.generate(16, seed=0)  # uint8, shape (16, "
        f"{gan.image_size}, {gan.image_size}, {gan.channels})",
        "```",
        "",
    ]
    if has_sample_grid:
        lines += [f"![16 samples, seed 0]({files.SAMPLE_GRID_FILE})", ""]

    lines += ["## Model", ""]
    lines += _table(
        {
            "architecture": gan.architecture,
            "image size": gan.image_size,
            "channels": gan.channels,
            "latent size": gan.latent_dim,
            "generator parameters": gan.generator.count_params(),
            "discriminator weights included": "yes" if include_discriminator else "no",
        },
        "property",
    )
    if training:
        lines += ["## Training settings", ""] + _table(training, "setting")
    if metrics:
        lines += ["## Final metrics", ""] + _table(metrics, "metric")
    return "\n".join(lines).rstrip() + "\n"


def _table(values, key_header):
    rows = [f"| {key_header} | value |", "| --- | --- |"]
    for key, value in values.items():
        if isinstance(value, str):
            text = value
        elif isinstance(value, float):
            # Optimizer configs store float32 values such as 0.00019999999494757503.
            text = f"{value:.6g}"
        else:
            text = json.dumps(value)
        rows.append(f"| {key} | {text} |")
    return rows + [""]
