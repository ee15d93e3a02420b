"""Reports: frequency, pivot, agents, hourly and the weekly report, as data (`model.Report`) for the renderers."""
