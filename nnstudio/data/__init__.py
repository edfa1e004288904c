"""Datasets as plain NumPy arrays. No Qt here."""
