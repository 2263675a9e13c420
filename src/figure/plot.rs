//! Plots of optimizer studies with plotters' SVG backend (no system font lookup).
