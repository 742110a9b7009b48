"""Layers (``minigen.nn``) and their functional forms (``minigen.nn.functional``)."""
