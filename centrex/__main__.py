"""`python -m centrex` runs the same command line as the `centrex` script."""

from centrex.cli import main

if __name__ == "__main__":
    main()
