"""The model's roles, one module each: market, competitor, sales reps and floor, product team,
company (CEO, board, finance) and customers."""
