"""`python -m dockform`: the same as the `dockform` command."""

from dockform.cli.main import main

if __name__ == "__main__":
    main()
