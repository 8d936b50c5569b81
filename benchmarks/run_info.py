"""Describe the machine, the software and the time of a benchmark run, write its result file, and parse shared options."""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys

RESULTS_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def describe_machine():
    """Return the CPU count, the CPUs this process may use, the platform, the Python version, the memory and the load average."""
    try:
        usable_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # os.sched_getaffinity exists only on some Unix systems, Linux among them.
        usable_cpus = None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus,
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "load_average_1_5_15_min": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "total_memory_gib": _total_memory_gib(),
    }


def _total_memory_gib():
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def package_versions(names):
    """Return a dict from each distribution in `names` to its installed version, leaving out those not installed."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_revision():
    """Return the commit of the repository and whether the working tree has changes, or None outside git."""
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repository, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "tracked_files_modified": bool(status.strip())}


def utc_now():
    """Return the current UTC time in ISO 8601 form, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def write_result(result, path):
    """Write `result` as indented JSON to `path`, creating its folder, and return the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(result, stream, indent=2)
        stream.write("\n")
    return path


def positive_int(text):
    """Parse a command-line value that must be an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value
