"""The package version, in one place (pyproject reads it; the User-Agent carries it)."""
__version__ = "0.1.0"
