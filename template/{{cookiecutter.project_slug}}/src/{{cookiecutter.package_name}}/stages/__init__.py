"""Pipeline stages: one module per dvc.yaml stage; `run()` does the work, `main()` reads and writes files."""
