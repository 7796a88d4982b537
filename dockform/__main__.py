"""`python -m dockform`: the same as the `dockform` command."""

from dockform.cli.entry import main

if __name__ == "__main__":
    main()
