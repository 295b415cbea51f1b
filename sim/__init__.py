"""Company-dynamics simulator."""
