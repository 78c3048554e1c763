"""`materiel serve`: the interactive dashboard (docs/dashboard.md). Imported only by cli/serve.py."""
