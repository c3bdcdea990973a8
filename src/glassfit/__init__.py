"""glassfit: fit interatomic potentials to glass properties with MD, active learning and Snakemake."""
__version__ = "0.1.0"
