"""axios-portlint: keep NixOS module ports and the port registry honest."""

__version__ = "0.1.0"
