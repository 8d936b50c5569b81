"""Build the logo images that ship in `keras_logogan.datasets`.

Run from the repository root:

    python scripts/build_logo_dataset.py

The script installs pinned icon packages from the npm registry into a
temporary folder (`npm install --prefix ...`), renders every SVG with
resvg-py, and writes into `src/keras_logogan/datasets/data/`:

- `icons_32.npz` and `icons_64.npz`: uint8 arrays `images` of shape
  (N, H, W, 3) and string arrays `names`, with the same N and order.
- `icons_manifest.csv`: index, source package, version, icon name, licence
  and, for licences that require attribution, the icon's source URL.
- `CREDITS.md`: sources, versions, licences and counts.

Sources (pinned in `PACKAGES`):

- `simple-icons` (package licence CC0-1.0): single-colour brand icons. Each
  icon is filled with its brand colour (`hex` in `data/simple-icons.json`).
  Brand colours too light to see on white (ITU-R 601 luma above
  `MAX_FILL_LUMA`) fall back to black, which is the package's default fill.
  Some icons carry a `license` entry of their own, and that licence is the
  one checked against the allow-list. Icons without one fall under the
  package's CC0-1.0.
- `@iconify-json/logos` (CC0-1.0): the "SVG Logos" set by Gil Barbara,
  mostly multi-colour. Icons marked `hidden` are old names kept for
  compatibility and are skipped. When a logo also has an `-icon` variant
  (for example `docker` and `docker-icon`), only the `-icon` symbol is kept,
  because the full logo adds a wordmark that shrinks to a thin strip at
  32 px and repeats the brand.
- `devicon` (MIT): logos of programming tools. One SVG per tool is taken,
  the `original` variant when there is one, else `plain`, else the first
  variant listed in `devicon.json`.

`super-tiny-icons` (MIT as a package) is not used. Its README states that
its logos keep the licences of the files they were drawn from, which include
GPL-3.0, AGPL-3.0, MPL-1.1 and several with no stated licence, and it gives
no per-icon licence data that the script could check.

Licence allow-list (`ALLOWED_LICENSES`): the images must be redistributable
inside an Apache-2.0 package, so only permissive licences are kept:
public-domain dedications (CC0-1.0, Unlicense), permissive software licences
(MIT, ISC, BSD-2-Clause, BSD-3-Clause, Apache-2.0), attribution-only
Creative Commons licences (CC-BY 2.0 to 4.0) and OFL-1.1. Rejected: ShareAlike
(CC-BY-SA) and copyleft licences (GPL, AGPL, MPL), because they would bind
the rendered arrays to their own terms; NonCommercial (CC-BY-NC) and
NoDerivatives (CC-BY-ND) licences, because resizing is an adaptation and the
package allows commercial use; and `custom` terms, which cannot be checked
automatically. Attribution for the licences that require it is the
`attribution_url` column of the manifest.

Rendering: each SVG is rendered once with transparency so that its longer
side is `RENDER_SIZE` pixels, composited on white, cropped to the bounding box
of its non-transparent pixels, and resized with box filtering so that its
longer side fills the image minus a margin of 1/16 of the image size on each
side. The aspect ratio is kept and the logo is centred. Text in SVGs is not
drawn, because system fonts are skipped so that renders do not depend on the
fonts of the build machine.

Filtering: images whose 32 px rendering has fewer than `MIN_INK_FRACTION` of
pixels visibly darker than white are dropped as near-blank. Exact duplicates
of an earlier 32 px rendering are dropped. Icons that fail to parse or render
are counted and skipped.
"""

import argparse
import collections
import concurrent.futures
import csv
import dataclasses
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np
import resvg_py
from PIL import Image

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT_DIR = REPO_ROOT / "src" / "keras_logogan" / "datasets" / "data"

PACKAGES = {
    "simple-icons": "16.37.0",
    "@iconify-json/logos": "1.2.20",
    "devicon": "2.17.0",
}

# SPDX identifiers of the licences whose icons are kept (see module docstring).
ALLOWED_LICENSES = frozenset(
    {
        "CC0-1.0",
        "Unlicense",
        "MIT",
        "ISC",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "Apache-2.0",
        "CC-BY-2.0",
        "CC-BY-2.5",
        "CC-BY-3.0",
        "CC-BY-4.0",
        "OFL-1.1",
    }
)

# Licences that waive all rights, so the manifest needs no attribution URL.
PUBLIC_DOMAIN_LICENSES = frozenset({"CC0-1.0", "Unlicense"})

IMAGE_SIZES = (32, 64)
RENDER_SIZE = 512
MAX_FILL_LUMA = 230.0
INK_THRESHOLD = 224
MIN_INK_FRACTION = 0.02


@dataclasses.dataclass
class IconSource:
    """One SVG icon and the metadata recorded for it in the manifest."""

    package: str
    version: str
    name: str
    license: str
    svg: str
    attribution_url: str = ""


def install_packages(prefix):
    """Install the pinned `PACKAGES` into `prefix` and return its `node_modules`."""
    specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
    command = [
        "npm",
        "install",
        "--prefix",
        str(prefix),
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        *specs,
    ]
    print("Running:", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    return pathlib.Path(prefix) / "node_modules"


def check_installed_version(node_modules, package):
    """Raise RuntimeError unless npm installed the pinned version of `package`."""
    manifest = read_json(node_modules / package / "package.json")
    expected = PACKAGES[package]
    if manifest["version"] != expected:
        raise RuntimeError(
            f"npm installed {package}@{manifest['version']}, but the build pins "
            f"{package}@{expected}. Check the npm output above and rerun."
        )


def read_json(path):
    """Parse a UTF-8 JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def read_svg(path, stats):
    """Return the text of an SVG file, or None after counting a failed read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        stats["failed"] += 1
        print(f"Failed to read {path}: {error}", flush=True)
        return None


def luma(hex_color):
    """Return the ITU-R 601 luma (0-255) of an `RRGGBB` hex colour."""
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (0, 2, 4))
    return 0.299 * red + 0.587 * green + 0.114 * blue


def fill_simple_icon(svg, hex_color):
    """Set the fill of a single-colour simple-icons SVG to its brand colour."""
    if luma(hex_color) > MAX_FILL_LUMA:
        hex_color = "000000"
    return svg.replace("<svg ", f'<svg fill="#{hex_color}" ', 1)


def read_simple_icons(node_modules, license_counts, stats):
    """Yield the allowed simple-icons, counting every licence seen."""
    package = "simple-icons"
    version = PACKAGES[package]
    root = node_modules / package
    entries = read_json(root / "data" / "simple-icons.json")

    for entry in entries:
        license_id = entry.get("license", {}).get("type", "CC0-1.0")
        allowed = license_id in ALLOWED_LICENSES
        license_counts[(package, license_id, allowed)] += 1
        if not allowed:
            continue

        svg = read_svg(root / "icons" / f"{entry['slug']}.svg", stats)
        if svg is None:
            continue

        attribution_url = ""
        if license_id not in PUBLIC_DOMAIN_LICENSES:
            attribution_url = entry.get("license", {}).get("url") or entry["source"]
        yield IconSource(
            package=package,
            version=version,
            name=entry["slug"],
            license=license_id,
            svg=fill_simple_icon(svg, entry["hex"]),
            attribution_url=attribution_url,
        )


def has_icon_variant(name, icons):
    """Return whether an Iconify logo has a visible `{name}-icon` variant."""
    variant = icons.get(f"{name}-icon")
    return variant is not None and not variant.get("hidden")


def read_iconify_logos(node_modules, license_counts, stats):
    """Yield the visible icons of `@iconify-json/logos` as standalone SVGs.

    A full logo with a visible `-icon` variant is skipped and counted in
    `stats["wordmark"]`, so each brand appears once, as its symbol.
    """
    package = "@iconify-json/logos"
    version = PACKAGES[package]
    root = node_modules / package
    collection = read_json(root / "icons.json")
    license_id = read_json(root / "info.json")["license"]["spdx"]
    allowed = license_id in ALLOWED_LICENSES

    # Iconify JSON stores only the inner markup, and per-icon geometry
    # falls back to the collection's defaults (16 when those are missing too).
    default_width = collection.get("width", 16)
    default_height = collection.get("height", 16)
    for name, icon in sorted(collection["icons"].items()):
        if icon.get("hidden"):
            continue
        if has_icon_variant(name, collection["icons"]):
            stats["wordmark"] += 1
            continue
        license_counts[(package, license_id, allowed)] += 1
        if not allowed:
            continue

        left = icon.get("left", 0)
        top = icon.get("top", 0)
        width = icon.get("width", default_width)
        height = icon.get("height", default_height)
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="{left} {top} {width} {height}">{icon["body"]}</svg>'
        )
        yield IconSource(package, version, name, license_id, svg)


def choose_devicon_variant(variants):
    """Return the preferred SVG variant of a devicon entry."""
    for preferred in ("original", "plain"):
        if preferred in variants:
            return preferred
    return variants[0]


def read_devicons(node_modules, license_counts, stats):
    """Yield one SVG per tool from `devicon`."""
    package = "devicon"
    version = PACKAGES[package]
    root = node_modules / package
    license_id = read_json(root / "package.json")["license"]
    allowed = license_id in ALLOWED_LICENSES
    entries = read_json(root / "devicon.json")

    for entry in sorted(entries, key=lambda item: item["name"]):
        variants = entry["versions"]["svg"]
        if not variants:
            continue
        license_counts[(package, license_id, allowed)] += 1
        if not allowed:
            continue

        name = f"{entry['name']}-{choose_devicon_variant(variants)}"
        svg = read_svg(root / "icons" / entry["name"] / f"{name}.svg", stats)
        if svg is None:
            continue
        yield IconSource(
            package=package,
            version=version,
            name=name,
            license=license_id,
            svg=svg,
            attribution_url="https://github.com/devicons/devicon",
        )


def render_on_white(svg):
    """Render an SVG on white, cropped to its visible content.

    Returns:
        An RGB `PIL.Image`, or None when the SVG draws nothing.

    Raises:
        ValueError: The SVG cannot be parsed or rendered.
    """
    png = resvg_py.svg_to_bytes(
        svg_string=svg,
        width=RENDER_SIZE,
        height=RENDER_SIZE,
        skip_system_fonts=True,
    )
    rgba = Image.open(io.BytesIO(bytes(png))).convert("RGBA")

    bounding_box = rgba.getchannel("A").getbbox()
    if bounding_box is None:
        return None

    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, rgba).convert("RGB")
    return rgb.crop(bounding_box)


def fit_on_canvas(logo, size):
    """Scale `logo` into a white `size` x `size` canvas with a margin, centred."""
    margin = size // 16
    inner = size - 2 * margin
    scale = inner / max(logo.size)
    width = max(1, round(logo.width * scale))
    height = max(1, round(logo.height * scale))

    # Box filtering averages the covered pixels, so downscaling flat-colour
    # logos gives no ringing. Lanczos is only used for the rare upscaling.
    if scale < 1:
        resample = Image.Resampling.BOX
    else:
        resample = Image.Resampling.LANCZOS
    resized = logo.resize((width, height), resample)

    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    canvas.paste(resized, ((size - width) // 2, (size - height) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def ink_fraction(image):
    """Return the fraction of pixels with a channel darker than `INK_THRESHOLD`."""
    return float(np.mean(image.min(axis=-1) < INK_THRESHOLD))


def render_icon(svg):
    """Render one SVG at every size in `IMAGE_SIZES`.

    Returns:
        A tuple `(images, error)`. `images` maps each size to a uint8 array,
        or is None when the SVG draws nothing or fails. `error` is the
        failure message, or None. Errors are returned rather than raised so
        that one bad SVG does not stop the worker pool.
    """
    try:
        logo = render_on_white(svg)
    except (ValueError, OSError) as error:
        return None, str(error)

    if logo is None:
        return None, None
    return {size: fit_on_canvas(logo, size) for size in IMAGE_SIZES}, None


def render_all(icons, stats, workers):
    """Render, filter and deduplicate icons in `workers` processes.

    Rendered, failed, blank and duplicate icons are counted in `stats`.

    Returns:
        A list of `(icon, images)` pairs in the order of `icons`, where
        `images` maps each size in `IMAGE_SIZES` to a uint8 array.
    """
    kept_icons = []
    seen_digests = set()

    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(render_icon, [icon.svg for icon in icons], chunksize=32)

        for icon, (images, error) in zip(icons, results):
            if error is not None:
                stats["failed"] += 1
                print(f"Failed to render {qualified_name(icon)}: {error}", flush=True)
                continue
            stats["rendered"] += 1

            if images is None or ink_fraction(images[32]) < MIN_INK_FRACTION:
                stats["blank"] += 1
                continue

            digest = images[32].tobytes()
            if digest in seen_digests:
                stats["duplicate"] += 1
                continue
            seen_digests.add(digest)
            kept_icons.append((icon, images))

    return kept_icons


def qualified_name(icon):
    """Return the `package:name` identifier stored in the `names` arrays."""
    return f"{icon.package}:{icon.name}"


def save_npz_lzma(path, **arrays):
    """Save arrays as an LZMA-compressed `.npz` that `numpy.load` reads.

    `numpy.savez_compressed` only uses deflate. For the logo arrays LZMA
    gives files about 16% smaller (8.96 MB against 10.72 MB for both sizes
    of the 16.37.0/1.2.20/2.17.0 build), and `numpy.load` reads any
    compression method of the standard-library `zipfile`. A fixed member
    timestamp makes rebuilds of the same arrays byte-identical.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as archive:
        for key, array in arrays.items():
            member = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_LZMA
            with archive.open(member, "w", force_zip64=True) as file:
                np.lib.format.write_array(file, np.asarray(array), allow_pickle=False)


def write_arrays(kept_icons, output_dir):
    """Write one `icons_{size}.npz` per size and return their paths."""
    names = np.array([qualified_name(icon) for icon, _ in kept_icons])
    paths = []
    for size in IMAGE_SIZES:
        images = np.stack([images_by_size[size] for _, images_by_size in kept_icons])
        path = output_dir / f"icons_{size}.npz"
        save_npz_lzma(path, images=images, names=names)
        paths.append(path)
    return paths


def write_manifest(kept_icons, output_dir):
    """Write `icons_manifest.csv` with one row per kept image, in array order."""
    path = output_dir / "icons_manifest.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(
            ["index", "source", "version", "name", "license", "attribution_url"]
        )
        for index, (icon, _) in enumerate(kept_icons):
            writer.writerow(
                [
                    index,
                    icon.package,
                    icon.version,
                    icon.name,
                    icon.license,
                    icon.attribution_url,
                ]
            )
    return path


def format_license_table(license_counts, allowed):
    """Return Markdown table rows of `(package, licence)` counts."""
    rows = []
    for (package, license_id, is_allowed), count in sorted(license_counts.items()):
        if is_allowed == allowed:
            rows.append(f"| {package} | {license_id} | {count} |")
    return rows


def write_credits(kept_icons, license_counts, stats, devicon_license, output_dir):
    """Write `CREDITS.md` with sources, licences and counts of this build.

    `devicon_license` is the text of devicon's `LICENSE`, which the MIT
    License requires to accompany copies.
    """
    kept_by_package = collections.Counter(icon.package for icon, _ in kept_icons)
    kept_by_license = collections.Counter(icon.license for icon, _ in kept_icons)
    package_licenses = {
        "simple-icons": "CC0-1.0 (some icons have their own licence)",
        "@iconify-json/logos": "CC0-1.0",
        "devicon": "MIT",
    }

    lines = [
        "# Logo data credits",
        "",
        "`icons_32.npz` and `icons_64.npz` contain logos rendered from the npm",
        "packages below by `scripts/build_logo_dataset.py`. Row `i` of",
        "`icons_manifest.csv` describes image `i` of both arrays: its source",
        "package, version, icon name, licence and, where the licence requires",
        "attribution, the URL of the icon's origin.",
        "",
        "| Package | Version | Package licence | Images kept |",
        "| --- | --- | --- | --- |",
    ]
    for package, version in PACKAGES.items():
        lines.append(
            f"| {package} | {version} | {package_licenses[package]} "
            f"| {kept_by_package[package]} |"
        )

    lines += [
        "",
        "- simple-icons by the Simple Icons collaborators, brand colours from",
        "  its `data/simple-icons.json`. Its DISCLAIMER states that per-icon",
        "  licence data is incomplete. Icons without a `license` entry are",
        "  listed here under the package's CC0-1.0.",
        "- @iconify-json/logos: the \"SVG Logos\" set by Gil Barbara.",
        "- devicon by konpa and the devicon contributors, under the MIT",
        "  License quoted at the end of this file.",
        "- super-tiny-icons is not used: its logos keep the licences of their",
        "  origins (some GPL-3.0, AGPL-3.0 or MPL-1.1, some unstated), with no",
        "  per-icon licence data to filter on.",
        "",
        "All logos are trademarks of their owners. The licences above cover the",
        "drawings, not the trademarks. Use the data to train and test models, not",
        "to suggest endorsement by any brand owner.",
        "",
        "## Licences of the kept images",
        "",
        "| Licence | Images |",
        "| --- | --- |",
    ]
    for license_id, count in sorted(kept_by_license.items()):
        lines.append(f"| {license_id} | {count} |")

    lines += [
        "",
        "## Icons excluded by licence",
        "",
        "Only licences that allow redistribution in an Apache-2.0 package are",
        "kept: CC0-1.0, Unlicense, MIT, ISC, BSD-2-Clause, BSD-3-Clause,",
        "Apache-2.0, CC-BY 2.0 to 4.0 and OFL-1.1. The build script's",
        "docstring gives the reasons.",
        "",
        "| Package | Licence | Icons |",
        "| --- | --- | --- |",
        *format_license_table(license_counts, allowed=False),
        "",
        "## Build counts",
        "",
        f"- rendered: {stats['rendered']}",
        f"- failed to read or render: {stats['failed']}",
        f"- dropped as near-blank: {stats['blank']}",
        f"- dropped as exact duplicate of the 32 px image: {stats['duplicate']}",
        "- @iconify-json/logos full logos skipped for their `-icon` variant: "
        f"{stats['wordmark']}",
        f"- kept: {len(kept_icons)}",
        "",
        "## Rebuild",
        "",
        "With `npm` on PATH and the Python packages numpy, pillow and resvg-py:",
        "",
        "    python scripts/build_logo_dataset.py",
        "",
        "The package versions are pinned in the script, so a rebuild with the",
        "same resvg-py and Pillow versions gives the same images.",
        "",
        "## devicon licence",
        "",
        *("    " + line if line else "" for line in devicon_license.splitlines()),
        "",
    ]
    path = output_dir / "CREDITS.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output-dir",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT_DIR,
        help="Folder for the npz files, manifest and credits "
        f"(default: {DEFAULT_OUTPUT_DIR.relative_to(REPO_ROOT)}).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count(),
        help="Number of rendering processes (default: the number of CPUs).",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    license_counts = collections.Counter()
    stats = collections.Counter()

    with tempfile.TemporaryDirectory(prefix="logo-icons-") as prefix:
        node_modules = install_packages(prefix)
        for package in PACKAGES:
            check_installed_version(node_modules, package)

        icons = [
            *read_simple_icons(node_modules, license_counts, stats),
            *read_iconify_logos(node_modules, license_counts, stats),
            *read_devicons(node_modules, license_counts, stats),
        ]
        print(f"Rendering {len(icons)} icons with allowed licences.", flush=True)
        kept_icons = render_all(icons, stats, args.workers)
        devicon_license = (node_modules / "devicon" / "LICENSE").read_text(
            encoding="utf-8"
        )

    args.output_dir.mkdir(parents=True, exist_ok=True)
    outputs = [
        *write_arrays(kept_icons, args.output_dir),
        write_manifest(kept_icons, args.output_dir),
        write_credits(kept_icons, license_counts, stats, devicon_license, args.output_dir),
    ]
    seconds = time.perf_counter() - start

    excluded = sum(
        count for (_, _, allowed), count in license_counts.items() if not allowed
    )
    print(f"Excluded by licence: {excluded}")
    print(f"Skipped full logos with an -icon variant: {stats['wordmark']}")
    print(f"Rendered: {stats['rendered']}")
    print(f"Failed to read or render: {stats['failed']}")
    print(f"Dropped as near-blank: {stats['blank']}")
    print(f"Dropped as duplicate: {stats['duplicate']}")
    print(f"Kept: {len(kept_icons)}")
    for path in outputs:
        print(f"Wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    print(f"Seconds: {seconds:.1f}")


if __name__ == "__main__":
    sys.exit(main())
