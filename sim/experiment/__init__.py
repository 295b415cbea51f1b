"""Running experiments: one run, ensembles, expectations, the workshop levers and lessons."""
