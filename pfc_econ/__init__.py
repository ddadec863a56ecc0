"""pfc-econ: the costing engine of the Partnership for Change trial (IPS vs SAU)."""

__version__ = "0.1.0"
