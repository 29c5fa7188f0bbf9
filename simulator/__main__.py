"""`python -m simulator --port 8001`: the simulator without Django."""

from .runner import main

if __name__ == "__main__":
    main()
