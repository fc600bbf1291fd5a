"""The version of splice, in a leaf module so every layer can name it without importing the package's front."""

__version__ = "0.1.0"
