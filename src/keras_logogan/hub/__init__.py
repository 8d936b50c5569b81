"""Save, load and share pretrained LogoGANs: local folders, shipped presets and the Hugging Face Hub.

The entry points are `LogoGAN.from_pretrained`, `LogoGAN.save_pretrained`,
`LogoGAN.push_to_hub` and `LogoGAN.presets`; this package contains their logic
and the errors they raise.
"""

from keras_logogan.hub.errors import IncompatibleConfigError
from keras_logogan.hub.errors import OfflineCacheMissError
from keras_logogan.hub.errors import PretrainedDownloadError
from keras_logogan.hub.errors import PretrainedError
from keras_logogan.hub.errors import PretrainedNotFoundError
from keras_logogan.hub.errors import WeightsFileError
from keras_logogan.hub.errors import WeightsMismatchError
from keras_logogan.hub.presets import list_presets
