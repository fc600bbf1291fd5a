"""splice-bundle: pack the splice library and chosen wheels into one self-extracting .py module."""

__version__ = "0.1.0"
