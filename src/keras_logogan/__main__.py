"""Run the `logogan` command as `python -m keras_logogan`."""

import sys

from keras_logogan.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
