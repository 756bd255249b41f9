"""`make bench`: the service measured beside the raw ceiling of the same work (see README)."""
