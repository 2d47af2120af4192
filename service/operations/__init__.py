"""Use cases: plain functions `(uow, actor, …)`, one transaction each, no Flask."""
