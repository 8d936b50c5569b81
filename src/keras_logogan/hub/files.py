"""File names and the format version of a pretrained LogoGAN folder.

`save_pretrained` writes these names and `from_pretrained` reads them, so the
two stay exact inverses.
"""

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
GENERATOR_WEIGHTS_FILE = "model.weights.h5"
DISCRIMINATOR_WEIGHTS_FILE = "discriminator.weights.h5"
MODEL_CARD_FILE = "README.md"
SAMPLE_GRID_FILE = "sample_grid.png"

# Version of the folder layout and of the `config.json` fields. Raise it when
# a change would make older releases load a folder wrongly; loading rejects
# folders with a higher version.
FORMAT_VERSION = 1
