from django.apps import AppConfig


class MessageTemplatesConfig(AppConfig):
    # Not "templates": that label would be confused with Django's HTML template folders.
    name = "templates"
    label = "message_templates"
    verbose_name = "Message templates"
