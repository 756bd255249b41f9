"""Code shared by the gateway, the workers and the command line."""
