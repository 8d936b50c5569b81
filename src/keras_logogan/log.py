"""The package logger. Set its level with `logging.getLogger("keras_logogan")`."""

import logging

logger = logging.getLogger("keras_logogan")
