"""The `ltc` command (`main.py`), reading records through the service; `common.py` is what every
command module shares, and each of the others holds one command's words."""
