"""Make ``data/digits.npz`` from the copy of the UCI optdigits test set that ships inside scikit-learn.

Run once, by hand, from the repository root (scikit-learn is NOT a dependency of the series; install it
somewhere throwaway and point this script at its CSV file):

    python -m pip install --target /tmp/sk --no-deps scikit-learn
    python data/make_digits.py /tmp/sk/sklearn/datasets/data/digits.csv.gz

The CSV has 1,797 rows of 65 integers: 64 pixel values (an 8×8 image read row by row, each 0..16)
followed by the digit 0..9. The output holds ``images`` (uint8, 1797×8×8) and ``labels`` (uint8, 1797).
The archive is written byte for byte the same every time (fixed member dates, fixed order), so its
sha256 can be checked against data/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

N_IMAGES = 1797


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (N, 8, 8) and labels (N,) as uint8 from sklearn's digits.csv.gz."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (N_IMAGES, 65):
        raise ValueError(f"{path}: expected {N_IMAGES} rows of 65 numbers, got shape {table.shape}.")
    pixels, labels = table[:, :64], table[:, 64]
    if pixels.min() < 0 or pixels.max() > 16 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path}: pixels must be 0..16 and labels 0..9.")
    return pixels.reshape(-1, 8, 8).astype(np.uint8), labels.astype(np.uint8)


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """Like np.savez_compressed, but reproducible: every member gets the same fixed date."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=9)


def content_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    """A hash of the numbers themselves (independent of how the archive is compressed)."""
    return hashlib.sha256(images.astype(np.uint8).tobytes() + labels.astype(np.uint8).tobytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", type=Path, help="path to sklearn/datasets/data/digits.csv.gz")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("digits.npz"))
    args = parser.parse_args()
    images, labels = read_csv(args.csv)
    write_npz(args.out, images=images, labels=labels)
    print(f"wrote {args.out}: images {images.shape} uint8, labels {labels.shape} uint8")
    print(f"file sha256:    {hashlib.sha256(args.out.read_bytes()).hexdigest()}")
    print(f"content sha256: {content_sha256(images, labels)}")
    print(f"source sha256:  {hashlib.sha256(args.csv.read_bytes()).hexdigest()}")
    print("images per digit:", np.bincount(labels, minlength=10).tolist())


if __name__ == "__main__":
    main()
