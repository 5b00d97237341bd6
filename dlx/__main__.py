from dlx.cli import entry

entry()
