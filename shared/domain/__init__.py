"""Pure domain rules, free of I/O, unit-tested on their own."""
