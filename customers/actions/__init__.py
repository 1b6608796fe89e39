"""Every write to customers' models goes through a function here: atomic, with an actor."""
