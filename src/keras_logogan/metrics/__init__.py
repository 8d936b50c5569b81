"""Image-set metrics for GAN evaluation, computed in NumPy.

The metrics take uint8 image arrays `(N, H, W, C)` with 1 or 3 channels and
give the same numbers on every Keras backend. Only
`inception_feature_extractor`, the default of `fid` and `kid`, imports
Keras. Every random choice takes an explicit seed.

- `sliced_wasserstein_distance`, `swd_floor`, `swd_with_floor`: multi-scale
  patch statistics (Karras et al. 2018).
- `ms_ssim`, `ms_ssim_diversity`: structural similarity, and the variety of
  a set (Odena et al. 2017), down to 4 px images.
- `ndb`, `NDBBins`: number of statistically different k-means bins
  (Richardson and Weiss 2018).
- `memorization`: nearest-training-image distances against held-out images.
- `color_histogram_distance`: total variation distance of colour histograms.
- `frechet_distance`, `kernel_inception_distance`, `fid`, `kid`: FID and
  KID of any features, by default Keras InceptionV3 features.
- `evaluate_generated`: all the metrics that need no pretrained network,
  with real-vs-real floors, in one flat dict.
"""

from keras_logogan.metrics.color_histogram import color_histogram
from keras_logogan.metrics.color_histogram import color_histogram_distance
from keras_logogan.metrics.evaluate import evaluate_generated
from keras_logogan.metrics.inception import InceptionWeightsError
from keras_logogan.metrics.inception import KIDResult
from keras_logogan.metrics.inception import fid
from keras_logogan.metrics.inception import frechet_distance
from keras_logogan.metrics.inception import inception_feature_extractor
from keras_logogan.metrics.inception import kernel_inception_distance
from keras_logogan.metrics.inception import kid
from keras_logogan.metrics.memorization import MemorizationResult
from keras_logogan.metrics.memorization import memorization
from keras_logogan.metrics.ms_ssim import MSSSIMScale
from keras_logogan.metrics.ms_ssim import ms_ssim
from keras_logogan.metrics.ms_ssim import ms_ssim_diversity
from keras_logogan.metrics.ms_ssim import ms_ssim_scales
from keras_logogan.metrics.ndb import NDBBins
from keras_logogan.metrics.ndb import NDBResult
from keras_logogan.metrics.ndb import ndb
from keras_logogan.metrics.swd import SWDResult
from keras_logogan.metrics.swd import sliced_wasserstein_distance
from keras_logogan.metrics.swd import swd_floor
from keras_logogan.metrics.swd import swd_with_floor

__all__ = [
    "InceptionWeightsError",
    "KIDResult",
    "MSSSIMScale",
    "MemorizationResult",
    "NDBBins",
    "NDBResult",
    "SWDResult",
    "color_histogram",
    "color_histogram_distance",
    "evaluate_generated",
    "fid",
    "frechet_distance",
    "inception_feature_extractor",
    "kernel_inception_distance",
    "kid",
    "memorization",
    "ms_ssim",
    "ms_ssim_diversity",
    "ms_ssim_scales",
    "ndb",
    "sliced_wasserstein_distance",
    "swd_floor",
    "swd_with_floor",
]
