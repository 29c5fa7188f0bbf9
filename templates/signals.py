"""The templates app's signals: code that must react to a template's status need not be imported here."""

from django.dispatch import Signal

# Sent after commit, with `transport` and `templates` (a list of (name, language)), when templates of
# the transport became APPROVED (again), from Meta's status webhook or a sync.
templates_approved = Signal()

# Sent after commit, with `transport` and `changes` (a list of TemplateCategoryChange), when Meta moved
# templates of the transport to another category.
templates_recategorised = Signal()
