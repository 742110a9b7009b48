"""``torch.utils.data``'s names: ``from minigen.utils.data import DataLoader, Dataset, TensorDataset``."""
from ..data.datasets import Dataset
from ..data.loader import DataLoader, collate as default_collate
from ..data.tensor_dataset import TensorDataset

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]
