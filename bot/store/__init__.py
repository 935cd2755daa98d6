"""Tickets store: models, repository, migrations. The ground floor: imports no other layer."""
