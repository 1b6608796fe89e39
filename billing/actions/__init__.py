"""The billing write layer: one function per thing a person does, each with a required
``actor`` (jobs and commands pass ``core.actors.SYSTEM``)."""
