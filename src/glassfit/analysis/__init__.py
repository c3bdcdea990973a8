"""Structural analysis of glass trajectories (coordination, PDFs, angles, rings, S(Q))."""
