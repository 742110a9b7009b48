"""Data: loading image data sets, batching them, and looking at images.

    from minigen.data import load_dataset, DataLoader, to_symmetric, save_image_grid

    ds = load_dataset()                                 # 4,500 MNIST digits, offline
    loader = DataLoader(ds, batch_size=64, shuffle=True, transform=to_symmetric)
    for images, labels in loader:                       # images: Tensor (64, 1, 28, 28)
        ...
    save_image_grid(images, "real.png")

Files: ``paths`` (where data lives), ``idx`` (MNIST's file format), ``folders``
(image files), ``datasets`` (``load_dataset``), ``transforms`` (pixel scaling),
``loader`` (``DataLoader``), ``grid`` (``save_image_grid``). The larger data
sets are fetched by the scripts in ``data_scripts/`` at the repository root.
"""
from .datasets import (CorruptDataError, Dataset, available_datasets, load_dataset)
from .folders import load_image_folder, read_image
from .grid import make_grid, save_image_grid
from .idx import read_idx
from .loader import DataLoader
from .tensor_dataset import TensorDataset
from .paths import data_root
from .transforms import (binarize, compose, from_symmetric, pad_to, to_symmetric, to_uint8,
                         to_unit)

__all__ = ["CorruptDataError", "DataLoader", "Dataset", "available_datasets", "binarize",
           "compose", "data_root", "from_symmetric", "load_dataset", "load_image_folder",
           "make_grid", "pad_to", "read_idx", "read_image", "save_image_grid", "TensorDataset", "to_symmetric",
           "to_uint8", "to_unit"]
