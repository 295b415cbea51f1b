"""Reading results: the series contract, run and ensemble summaries, bands, the spiral signature,
loop attribution and the debrief. Imports the model's names, never the experiment layer."""
